// Runs one benchmark scenario's request through a proxy-wasm module in Node's V8, without
// Envoy: the module's own cost per callback, a CPU profile with function names, or the host
// calls it makes. Envoy's V8 integration turns Liftoff off, so run it with --no-liftoff.
//
//   node --no-liftoff bench/v8_profile.mjs MODULE.wasm SCENARIO [ITERATIONS]
//   node --no-liftoff --cpu-prof --cpu-prof-interval 50 --cpu-prof-dir=/tmp/prof bench/v8_profile.mjs ...
//   node bench/v8_profile.mjs --summarize /tmp/prof/*.cpuprofile [ROWS]
//
// SCENARIO is a name from bench/scenarios.json. TRACE=1 prints the host calls of one request,
// SHOW=1 the body the module sends upstream and the answer it gives the client. THRASH=N
// touches N MiB between requests, as Envoy's own work does to the caches. Function names need
// a module with a name section (`make build-symbols`). A measuring tool, not a test: the host
// calls here are plain JavaScript, far cheaper than Envoy's, so only the module's share of an
// Envoy figure is comparable.
import fs from 'node:fs';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const argv = process.argv.slice(2);

if (argv[0] === '--summarize') {
  summarize(argv[1], Number(argv[2] || 30));
  process.exit(0);
}
const [wasmPath, scenarioName, iterArg] = argv;
if (!wasmPath || !scenarioName) {
  console.error('usage: node --no-liftoff bench/v8_profile.mjs MODULE.wasm SCENARIO [ITERATIONS]');
  process.exit(2);
}
const data = JSON.parse(fs.readFileSync(path.join(here, 'scenarios.json'), 'utf8'));
const scenario = data.scenarios[scenarioName];
if (!scenario) {
  console.error(`unknown scenario ${scenarioName}; known: ${Object.keys(data.scenarios).join(', ')}`);
  process.exit(2);
}
const mock = data.mocks[scenario.mock];
const read = (rel) => fs.readFileSync(path.join(here, rel));
const config = read(scenario.config);
const request = JSON.parse(read(scenario.request).toString());
Object.assign(request, scenario.request_overrides || {});
const requestBody = Buffer.from(JSON.stringify(request));
const answer = read(mock.body);
const iterations = Number(iterArg || 20000);

// The proxy-wasm ABI's header map: count, lengths, then NUL-terminated names and values.
function encodeMap(pairs) {
  const bytes = pairs.map(([k, v]) => [Buffer.from(k), Buffer.from(v)]);
  const size = 4 + bytes.reduce((n, [k, v]) => n + 8 + k.length + v.length + 2, 0);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(bytes.length, 0);
  let at = 4;
  for (const [k, v] of bytes) { out.writeUInt32LE(k.length, at); out.writeUInt32LE(v.length, at + 4); at += 8; }
  for (const [k, v] of bytes) { k.copy(out, at); at += k.length + 1; v.copy(out, at); at += v.length + 1; }
  return out;
}
const requestHeaders = encodeMap([
  [':method', 'POST'], [':path', scenario.client_path], [':authority', '127.0.0.1:10000'], [':scheme', 'http'],
  ['content-type', 'application/json'], ['authorization', 'Bearer client-key'],
  ['content-length', String(requestBody.length)], ['user-agent', 'wrk'],
]);
const responseHeaders = encodeMap([
  [':status', '200'], ['content-type', mock.content_type], ['content-length', String(answer.length)], ['server', 'envoy'],
]);

let memory, exports;
const trace = process.env.TRACE ? [] : null;
const shown = {};
const bytesAt = (p, n) => Buffer.from(memory.buffer, p, n);
const view = () => new DataView(memory.buffer);
// Host data goes into the module through its allocator, as Envoy does it.
function give(buf, retPtr, retSize) {
  const p = exports.proxy_on_memory_allocate(buf.length);
  new Uint8Array(memory.buffer).set(buf, p);
  view().setUint32(retPtr, p, true);
  view().setUint32(retSize, buf.length, true);
  return 0;
}
const BUFFERS = { 0: () => requestBody, 1: () => answer, 7: () => config };
const host = {
  proxy_log: (level, p, n) => { if (level >= 3) console.error(`log(${level}): ${bytesAt(p, n)}`); return 0; },
  proxy_get_log_level: (p) => { view().setUint32(p, 3, true); return 0; },
  proxy_get_current_time_nanoseconds: (p) => { view().setBigUint64(p, 1700000000000000000n, true); return 0; },
  proxy_get_header_map_pairs: (map, rp, rs) => give(map === 0 ? requestHeaders : responseHeaders, rp, rs),
  proxy_replace_header_map_value: () => 0,
  proxy_remove_header_map_value: () => 0,
  proxy_get_buffer_bytes: (kind, start, max, rp, rs) => {
    const b = BUFFERS[kind]?.();
    return b ? give(b.subarray(0, Math.min(max, b.length)), rp, rs) : 1;
  },
  proxy_set_buffer_bytes: (kind, start, size, p, n) => { if (process.env.SHOW) shown[kind] = Buffer.from(bytesAt(p, n)); return 0; },
  proxy_get_property: () => 1,
  proxy_send_local_response: (status, dp, dn, bp, bn) => { console.error(`local reply ${status}: ${bytesAt(bp, bn)}`); return 0; },
};
const describe = (name, a) =>
  name.includes('header_map_value') ? `${name} ${bytesAt(a[1], a[2])}`
    : name.includes('buffer_bytes') ? `${name} buffer ${a[0]} (${name.includes('set') ? a[4] : a[2]} B)` : name;
const env = new Proxy(host, {
  get: (t, name) => {
    const f = t[name] || (() => { console.error(`unexpected host call ${String(name)}`); return 0; });
    return trace ? (...a) => { trace.push(describe(String(name), a)); return f(...a); } : f;
  },
});
const wasi = {
  random_get: (p, n) => { new Uint8Array(memory.buffer).fill(7, p, p + n); return 0; },
  environ_get: () => 0,
  environ_sizes_get: (a, b) => { view().setUint32(a, 0, true); view().setUint32(b, 0, true); return 0; },
  fd_write: () => 0,
  proc_exit: () => { throw new Error('proc_exit'); },
};
const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), { env, wasi_snapshot_preview1: wasi });
exports = instance.exports;
memory = exports.memory;
exports._initialize();
exports.proxy_on_context_create(1, 0);
exports.proxy_on_vm_start(1, 0);
if (!exports.proxy_on_configure(1, config.length)) throw new Error('the module rejected the configuration');

const spent = {};
const timed = (name, f) => { const t = performance.now(); f(); spent[name] = (spent[name] || 0) + performance.now() - t; };
function one(id) {
  timed('create context', () => exports.proxy_on_context_create(id, 1));
  timed('request headers', () => exports.proxy_on_request_headers(id, 8, 0));
  timed('request body', () => { exports.proxy_on_request_body(id, requestBody.length, 0); exports.proxy_on_request_body(id, requestBody.length, 1); });
  timed('response headers', () => exports.proxy_on_response_headers(id, 4, 0));
  timed('response body', () => { exports.proxy_on_response_body(id, answer.length, 0); exports.proxy_on_response_body(id, answer.length, 1); });
  timed('done', () => { exports.proxy_on_done(id); exports.proxy_on_log(id); exports.proxy_on_delete(id); });
}
one(2);
if (trace) { console.log(trace.filter((c) => c !== 'proxy_on_memory_allocate').join('\n')); process.exit(0); }
if (process.env.SHOW) {
  console.log(`upstream request body:\n${shown[0] || requestBody}\n\nclient answer:\n${shown[1] || answer}`);
  process.exit(0);
}
for (let i = 0; i < 2000; i++) one(3 + i);
for (const k in spent) spent[k] = 0;
const junk = new Uint32Array(Number(process.env.THRASH || 0) * 262144);
let thrashing = 0;
const start = performance.now();
for (let i = 0; i < iterations; i++) {
  if (junk.length) { const t = performance.now(); for (let j = 0; j < junk.length; j += 16) junk[j] += j; thrashing += performance.now() - t; }
  one(10000 + i);
}
const total = performance.now() - start - thrashing;
for (const [k, v] of Object.entries(spent)) console.log(`${k.padEnd(18)} ${(v * 1000 / iterations).toFixed(2)} µs`);
console.log(`${scenarioName}: ${(total * 1000 / iterations).toFixed(2)} µs per request in V8 (${iterations} requests)`);

// Self time per function from a --cpu-prof profile, the module's functions only.
function summarize(file, rows) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  let wasm = 0;
  for (const s of p.samples) {
    const f = byId.get(s).callFrame;
    if (!f.url.startsWith('wasm://')) continue;
    wasm += 1;
    const name = f.functionName.replace(/17h[0-9a-f]{16}E$/, '');
    counts.set(name, (counts.get(name) || 0) + 1);
  }
  console.log(`${wasm} samples in the module (of ${p.samples.length})`);
  for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, rows)) {
    console.log(`${(100 * n / wasm).toFixed(1).padStart(5)} %  ${name.slice(0, 140)}`);
  }
}
