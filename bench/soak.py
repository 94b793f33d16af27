#!/usr/bin/env python3
"""Soak test: many keep-alive clients through one Envoy + ai-proxy for a while, with a mix of
request kinds; every response must have the status its kind expects, and Envoy's memory must
stay flat once warm.

    Envoy under test (--concurrency 2)                                  mock Envoy (bench/envoy_compare.py's
      listener "openai": ai-proxy with bench/configs/openai.yaml  ---->  direct_response mock, answers by path
      listener "claude": ai-proxy with bench/configs/claude.yaml  ---->  and the x-bench-mock header)

Request kinds (default weights 3:3:3:3:1:1):
    openai-json    POST /v1/chat/completions, openai listener      -> 200, passthrough JSON
    openai-sse     the same with "stream": true                    -> 200, passthrough SSE ending in [DONE]
    claude-json    POST /v1/chat/completions, claude listener      -> 200, Anthropic JSON translated to OpenAI
    claude-sse     the same with "stream": true                    -> 200, Anthropic SSE translated, ending in [DONE]
    bad-json       a body that is not JSON (either listener)       -> 400 from the filter, OpenAI error
    unknown-path   POST /v1/no/such/api (either listener)          -> 404 from the filter, OpenAI error

Clients are threads in a few processes (the GIL would cap one process), each holding one
keep-alive HTTP/1.1 connection per listener (a small raw-socket client: http.client costs more
CPU than Envoy does per request). The client sends `x-bench-mock: <answer>` itself; the filter
leaves unknown headers alone, so the mock picks the answer.

Checks (exit status 1 if any fails):
  * every response has its kind's expected status and a body of the expected shape (JSON
    `chat.completion`, SSE ending in `data: [DONE]`, OpenAI error with the expected code);
    socket errors count as unexpected too;
  * Envoy's RSS (VmRSS, sampled every --sample-every s): after --warmup s, max - min must not
    exceed --max-growth-mib (8), it must not rise at every sample after warm-up by a total of
    more than 1 MiB, and over the second half after warm-up it must not grow by more than
    --max-bytes-per-request (16) per completed request (a per-request leak; a settling
    allocator grows early and flattens, which this tolerates);
  * Envoy stays alive and its log shows no Wasm VM failure.

Python 3.11 standard library only; Envoy from the project's venv. Loopback only; bounded in time
(--duration at most 3600 s) and clients (at most 512). See bench/README.md.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
sys.path.insert(0, str(REPO / "tests" / "e2e"))

import envoy_compare as ec  # noqa: E402  (mock config, Envoy wrapper, helpers)
import envoy_config  # noqa: E402  (the project's own Envoy + ai-proxy listener, as the e2e suite runs it)

LOOPBACK = ec.LOOPBACK
MAX_DURATION_S = 3600
MAX_CLIENTS = 512
VM_FAILURE_MARKERS = ("panicked at", "Wasm VM failed", "RuntimeError", "Function: proxy_on_", "wasm trap")

KINDS = ("openai-json", "openai-sse", "claude-json", "claude-sse", "bad-json", "unknown-path")
DEFAULT_MIX = "openai-json=3,openai-sse=3,claude-json=3,claude-sse=3,bad-json=1,unknown-path=1"
EXPECTED_STATUS = {"openai-json": 200, "openai-sse": 200, "claude-json": 200, "claude-sse": 200,
                   "bad-json": 400, "unknown-path": 404}


class SoakError(Exception):
    pass


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Requests


def build_requests(openai_port: int, claude_port: int) -> dict[str, list[tuple[int, bytes]]]:
    """Per kind: the (port, raw HTTP/1.1 request bytes) it may send; one is picked per request."""
    base = json.loads((BENCH / "payloads" / "chat-request.json").read_text())

    def post(port: int, path: str, body: bytes, mock: str | None) -> tuple[int, bytes]:
        head = (f"POST {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\ncontent-type: application/json\r\n"
                f"authorization: Bearer client-key\r\ncontent-length: {len(body)}\r\n")
        if mock:
            head += f"x-bench-mock: {mock}\r\n"
        return port, head.encode() + b"\r\n" + body

    def chat(model: str, stream: bool) -> bytes:
        return json.dumps(dict(base, model=model, stream=stream), separators=(",", ":")).encode()

    bad = b'{"model":"gpt-4o","messages":[{"role":"user","content":"unterminated'
    unknown = chat("gpt-4o", False)
    return {
        "openai-json": [post(openai_port, "/v1/chat/completions", chat("gpt-4o", False), "openai-json")],
        "openai-sse": [post(openai_port, "/v1/chat/completions", chat("gpt-4o", True), "openai-sse")],
        "claude-json": [post(claude_port, "/v1/chat/completions", chat("claude-sonnet-4-5", False), "claude-json")],
        "claude-sse": [post(claude_port, "/v1/chat/completions", chat("claude-sonnet-4-5", True), "claude-sse")],
        "bad-json": [post(p, "/v1/chat/completions", bad, None) for p in (openai_port, claude_port)],
        "unknown-path": [post(p, "/v1/no/such/api", unknown, None) for p in (openai_port, claude_port)],
    }


def body_problem(kind: str, headers: dict[str, str], body: bytes) -> str | None:
    """Why a response with the expected status still has the wrong body, or None."""
    ct = headers.get("content-type", "")
    if kind in ("openai-json", "claude-json"):
        if not ct.startswith("application/json") or b'"object":"chat.completion"' not in body.replace(b" ", b""):
            return f"not a chat completion ({ct}): {body[:200]!r}"
        if kind == "claude-json" and b'"type":"message"' in body:
            return f"untranslated Anthropic body: {body[:200]!r}"
    elif kind in ("openai-sse", "claude-sse"):
        if not ct.startswith("text/event-stream") or not body.endswith(b"data: [DONE]\n\n"):
            return f"not an SSE stream ending in [DONE] ({ct}): ...{body[-200:]!r}"
        if kind == "claude-sse" and (b"event:" in body or b'"error"' in body):
            return f"untranslated or failed stream: {body[:300]!r}"
    else:
        code = b'"code":"invalid_json"' if kind == "bad-json" else b'"code":"unknown_url"'
        if not ct.startswith("application/json") or code not in body:
            return f"not the filter's OpenAI error with {code.decode()} ({ct}): {body[:200]!r}"
    return None


# --------------------------------------------------------------------------------------------
# A minimal HTTP/1.1 keep-alive client (Envoy's answers: content-length or chunked)


class Conn:
    def __init__(self, port: int, timeout: float):
        self.port = port
        self.timeout = timeout
        self.sock: socket.socket | None = None
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock, self.buf = None, b""

    def _connect(self) -> None:
        s = socket.create_connection((LOOPBACK, self.port), timeout=self.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock, self.buf = s, b""

    def _fill(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError("connection closed by Envoy mid-response")
        self.buf += data

    def _line(self) -> bytes:
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            self._fill()

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        if self.sock is None:
            self._connect()
        self.sock.sendall(raw)
        while True:
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                break
            self._fill()
        head, self.buf = self.buf[:i], self.buf[i + 4:]
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
        if "chunked" in headers.get("transfer-encoding", "").lower():
            parts = []
            while True:
                size = int(self._line().split(b";", 1)[0], 16)
                if size == 0:
                    while self._line():  # trailers, up to the empty line
                        pass
                    break
                parts.append(self._take(size))
                self._take(2)
            body = b"".join(parts)
        elif "content-length" in headers:
            body = self._take(int(headers["content-length"]))
        else:  # delimited by the close
            try:
                while True:
                    self._fill()
            except ConnectionError:
                pass
            body, self.buf = self.buf, b""
            self.close()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, headers, body


# --------------------------------------------------------------------------------------------
# Load: processes x threads


def _client(idx: int, requests, weights, deadline: float, timeout: float, out: dict, lock: threading.Lock,
            seed: int) -> None:
    rng = random.Random(seed * 1000 + idx)
    conns: dict[int, Conn] = {}
    kinds = list(requests)
    local = {k: {"sent": 0, "statuses": {}, "bad_body": 0, "errors": 0, "lat_ms": []} for k in kinds}
    samples: list[str] = []
    while time.monotonic() < deadline:
        kind = rng.choices(kinds, weights)[0]
        port, raw = rng.choice(requests[kind])
        c = conns.get(port) or conns.setdefault(port, Conn(port, timeout))
        rec = local[kind]
        rec["sent"] += 1
        t0 = time.perf_counter()
        try:
            status, headers, body = c.request(raw)
        except (OSError, ValueError, IndexError) as e:
            rec["errors"] += 1
            if len(samples) < 5:
                samples.append(f"{kind}: {type(e).__name__}: {e}")
            c.close()
            continue
        if len(rec["lat_ms"]) < 20000:
            rec["lat_ms"].append((time.perf_counter() - t0) * 1e3)
        rec["statuses"][status] = rec["statuses"].get(status, 0) + 1
        if status == EXPECTED_STATUS[kind]:
            problem = body_problem(kind, headers, body)
            if problem:
                rec["bad_body"] += 1
                if len(samples) < 5:
                    samples.append(f"{kind}: {problem}")
        elif len(samples) < 5:
            samples.append(f"{kind}: status {status}: {body[:200]!r}")
    for c in conns.values():
        c.close()
    with lock:
        for k, rec in local.items():
            agg = out["kinds"][k]
            agg["sent"] += rec["sent"]
            agg["bad_body"] += rec["bad_body"]
            agg["errors"] += rec["errors"]
            agg["lat_ms"].extend(rec["lat_ms"])
            for s, n in rec["statuses"].items():
                agg["statuses"][s] = agg["statuses"].get(s, 0) + n
        out["samples"].extend(samples[: max(0, 20 - len(out["samples"]))])


def _worker(proc_idx: int, n_threads: int, requests, weights, start_at: float, duration: float, timeout: float,
            seed: int, q) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and stops everyone by the deadline
    out = {"kinds": {k: {"sent": 0, "statuses": {}, "bad_body": 0, "errors": 0, "lat_ms": []} for k in requests},
           "samples": []}
    lock = threading.Lock()
    delay = start_at - time.time()
    if delay > 0:
        time.sleep(delay)
    deadline = time.monotonic() + duration
    threads = [threading.Thread(target=_client, args=(proc_idx * 10000 + i, requests, weights, deadline, timeout,
                                                      out, lock, seed), daemon=True)
               for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(duration + timeout + 30)
    q.put(out)


# --------------------------------------------------------------------------------------------
# The Envoy under test


def sut_bootstrap(admin_port: int, openai_port: int, claude_port: int, mock_port: int, wasm: Path) -> dict:
    listeners = [
        envoy_config.ListenerSpec("openai", openai_port, (BENCH / "configs" / "openai.yaml").read_text()),
        envoy_config.ListenerSpec("claude", claude_port, (BENCH / "configs" / "claude.yaml").read_text()),
    ]
    doc = envoy_config.bootstrap(listeners=listeners, wasm_path=str(wasm), upstream="mock", admin_port=admin_port,
                                 mock_port=mock_port)
    for lst in doc["static_resources"]["listeners"]:
        # No access log: a line per request would grow the log file and cost CPU for nothing here.
        lst["filter_chains"][0]["filters"][0]["typed_config"].pop("access_log", None)
    return doc


class Sut:
    def __init__(self, envoy_bin: Path, doc: dict, workdir: Path, concurrency: int):
        self.admin_port = doc["admin"]["address"]["socket_address"]["port_value"]
        self.config_path = workdir / "sut.yaml"
        self.log_path = workdir / "sut.log"
        self.config_path.write_text(envoy_config.to_yaml(doc))
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(envoy_bin), "-c", str(self.config_path), "--concurrency", str(concurrency),
             "--disable-hot-restart", "-l", "warn", "--component-log-level", "wasm:warn"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=ec._child_setup(None))
        self.name = "sut"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    wait_ready = ec.Envoy.wait_ready
    log_tail = ec.Envoy.log_tail
    stop = ec.Envoy.stop

    def stats(self) -> dict[str, int]:
        status, body = ec.http_get(f"http://{LOOPBACK}:{self.admin_port}/stats?filter=^(http\\.(openai|claude)\\."
                                   "downstream_rq_|wasm)", timeout=5)
        out = {}
        if status == 200:
            for line in body.splitlines():
                k, _, v = line.partition(": ")
                if v.strip().isdigit():
                    out[k.strip()] = int(v)
        return out


def rss_mib(pid: int) -> float:
    return ec.mem_kib(pid).get("VmRSS", 0) / 1024


# --------------------------------------------------------------------------------------------
# Main


def parse_mix(text: str) -> dict[str, float]:
    mix = {}
    for part in text.split(","):
        name, _, w = part.partition("=")
        name = name.strip()
        if name not in KINDS:
            raise SoakError(f"unknown request kind {name!r} in --mix; known: {', '.join(KINDS)}")
        mix[name] = float(w or 1)
    if not any(w > 0 for w in mix.values()):
        raise SoakError("--mix needs a kind with a positive weight")
    return {k: w for k, w in mix.items() if w > 0}


def percentile(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def judge_rss(curve: list[tuple[float, float, int]], warmup: float, max_growth: float,
              max_bytes_per_request: float) -> tuple[list[str], dict]:
    """RSS after warm-up: its range, whether it rose at every sample, and the growth per request
    over the second half (a leak grows with the requests; a settling allocator does not)."""
    after = [(t, r) for t, r, _ in curve if t >= warmup]
    facts = {"samples_after_warmup": len(after)}
    problems = []
    if len(after) < 2:
        problems.append(f"only {len(after)} RSS sample(s) after the {warmup:.0f} s warm-up: run longer")
        return problems, facts
    rs = [r for _, r in after]
    facts.update({"min_mib": min(rs), "max_mib": max(rs), "growth_mib": max(rs) - min(rs),
                  "first_mib": rs[0], "last_mib": rs[-1]})
    if facts["growth_mib"] > max_growth:
        problems.append(f"RSS after warm-up varied by {facts['growth_mib']:.1f} MiB (limit {max_growth:g} MiB)")
    rising = all(b > a for a, b in zip(rs, rs[1:]))
    facts["rising_every_sample"] = rising
    if rising and len(rs) >= 4 and rs[-1] - rs[0] > 1.0:
        problems.append(f"RSS rose at every sample after warm-up ({rs[0]:.1f} -> {rs[-1]:.1f} MiB): a steady leak")
    full = [c for c in curve if c[0] >= warmup]
    mid, last = full[len(full) // 2], full[-1]
    if last[2] > mid[2]:
        grown = (last[1] - mid[1]) * 1024 * 1024
        facts["second_half_bytes_per_request"] = grown / (last[2] - mid[2])
        if facts["second_half_bytes_per_request"] > max_bytes_per_request and grown > 512 * 1024:
            problems.append(f"RSS grew {grown / 1048576:.2f} MiB over the last {last[2] - mid[2]} requests "
                            f"({facts['second_half_bytes_per_request']:.1f} bytes/request, limit "
                            f"{max_bytes_per_request:g}): a leak per request")
    return problems, facts


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--duration", type=int, default=60, help="seconds of load")
    ap.add_argument("--clients", type=int, default=64, help="concurrent clients (threads, each with keep-alive)")
    ap.add_argument("--procs", type=int, default=0, help="client processes (0: one per CPU, at most --clients)")
    ap.add_argument("--concurrency", type=int, default=2, help="Envoy worker threads")
    ap.add_argument("--warmup", type=float, default=10, help="seconds before RSS must be flat")
    ap.add_argument("--sample-every", type=float, default=5, help="RSS sampling period, seconds")
    ap.add_argument("--max-growth-mib", type=float, default=8, help="allowed RSS max - min after warm-up")
    ap.add_argument("--max-bytes-per-request", type=float, default=16,
                    help="allowed RSS growth per request over the second half after warm-up")
    ap.add_argument("--mix", default=DEFAULT_MIX, help="request kinds and weights")
    ap.add_argument("--timeout", type=float, default=10, help="client socket timeout, seconds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--envoy", default=".venv/bin/envoy", help="Envoy binary (relative: from the repo root)")
    ap.add_argument("--wasm", default="target/wasm32-wasip1/release/ai_proxy.wasm", help="ai-proxy module")
    ap.add_argument("--json", default=None, help="write the results to this JSON file")
    ap.add_argument("--keep-workdir", action="store_true", help="keep the generated configs and Envoy logs")
    args = ap.parse_args(argv)
    if not 1 <= args.duration <= MAX_DURATION_S:
        ap.error(f"--duration must be 1..{MAX_DURATION_S}")
    if not 1 <= args.clients <= MAX_CLIENTS:
        ap.error(f"--clients must be 1..{MAX_CLIENTS}")
    if not 1 <= args.concurrency <= 16:
        ap.error("--concurrency must be 1..16")
    if args.sample_every <= 0 or args.warmup < 0:
        ap.error("--sample-every must be > 0 and --warmup >= 0")
    mix = parse_mix(args.mix)
    envoy_bin, wasm = ec.resolve(args.envoy), ec.resolve(args.wasm)
    if not (envoy_bin.is_file() and os.access(envoy_bin, os.X_OK)):
        raise SoakError(f"Envoy not found at {envoy_bin}: run scripts/install-envoy.sh (make venv) or pass --envoy")
    if not wasm.is_file():
        raise SoakError(f"{wasm} missing: make build")
    procs_n = args.procs or min(os.cpu_count() or 1, args.clients)
    procs_n = max(1, min(procs_n, args.clients))

    workdir = Path(tempfile.mkdtemp(prefix="ai-proxy-soak-"))
    mock = sut = None
    workers: list[mp.Process] = []
    try:
        module = workdir / "ai_proxy.wasm"
        shutil.copyfile(wasm, module)  # a rebuild during the soak must not change what Envoy runs
        scenarios = json.loads((BENCH / "scenarios.json").read_text())
        mocks = {k: scenarios["mocks"][k] for k in ("openai-json", "openai-sse", "claude-json", "claude-sse")}
        mock_admin, mock_port = ec.free_port(), ec.free_port()
        mock = ec.Envoy("mock", envoy_bin, ec.mock_config(mock_admin, mock_port, mocks), workdir, mock_admin, None)
        mock.wait_ready()
        admin, openai_port, claude_port = ec.free_port(), ec.free_port(), ec.free_port()
        sut = Sut(envoy_bin, sut_bootstrap(admin, openai_port, claude_port, mock_port, module), workdir,
                  args.concurrency)
        sut.wait_ready()
        requests = build_requests(openai_port, claude_port)
        requests = {k: requests[k] for k in mix}
        weights = [mix[k] for k in requests]

        # One of each before the load: a wrong set-up fails here, clearly.
        for kind, options in requests.items():
            for port, raw in options:
                c = Conn(port, args.timeout)
                try:
                    status, headers, body = c.request(raw)
                finally:
                    c.close()
                problem = (f"status {status}" if status != EXPECTED_STATUS[kind]
                           else body_problem(kind, headers, body))
                if problem:
                    raise SoakError(f"sanity request {kind} on port {port}: {problem}\n{body[:600]!r}\n"
                                    f"SUT log:\n{sut.log_tail()}")
        log(f"soak: Envoy pid {sut.pid} (--concurrency {args.concurrency}) listeners openai :{openai_port}, "
            f"claude :{claude_port}; mock pid {mock.pid}; {args.clients} clients in {procs_n} process(es) "
            f"for {args.duration} s; workdir {workdir}")

        stats0 = sut.stats()
        q: mp.Queue = mp.Queue()
        per = [args.clients // procs_n + (1 if i < args.clients % procs_n else 0) for i in range(procs_n)]
        start_at = time.time() + 1.0
        ctx = mp.get_context("fork")
        workers = [ctx.Process(target=_worker, args=(i, n, requests, weights, start_at, args.duration, args.timeout,
                                                     args.seed, q), daemon=True)
                   for i, n in enumerate(per)]
        for w in workers:
            w.start()
        time.sleep(max(0.0, start_at - time.time()))
        t0 = time.monotonic()
        cpu0 = ec.cpu_ticks(sut.pid)
        curve: list[tuple[float, float, int]] = [(0.0, rss_mib(sut.pid), 0)]
        log(f"  t={0:5.0f} s  RSS {curve[0][1]:7.1f} MiB")
        next_sample = args.sample_every
        while True:
            now = time.monotonic() - t0
            if now >= args.duration:
                break
            time.sleep(max(0.0, min(next_sample, args.duration) - now))
            now = time.monotonic() - t0
            if sut.proc.poll() is not None:
                raise SoakError(f"Envoy died during the soak (status {sut.proc.returncode}):\n{sut.log_tail()}")
            if next_sample <= args.duration + 0.01 and now >= next_sample - 0.05:
                st = sut.stats()
                done = sum(v for k, v in st.items() if k.endswith("downstream_rq_completed")) - \
                    sum(v for k, v in stats0.items() if k.endswith("downstream_rq_completed"))
                curve.append((round(now, 1), rss_mib(sut.pid), done))
                log(f"  t={now:5.0f} s  RSS {curve[-1][1]:7.1f} MiB  requests so far {done}")
                next_sample += args.sample_every
        wall = time.monotonic() - t0
        cpu_s = (ec.cpu_ticks(sut.pid) - cpu0) / ec.CLK_TCK
        results = []
        for _ in workers:
            try:
                results.append(q.get(timeout=args.timeout + 60))
            except Exception as e:  # noqa: BLE001
                raise SoakError(f"a client process did not report: {e}") from e
        for w in workers:
            w.join(10)
        final_rss = rss_mib(sut.pid)
        stats1 = sut.stats()
        sut_alive = sut.proc.poll() is None
        vm_lines = [ln for ln in sut.log_text().splitlines() if any(m in ln for m in VM_FAILURE_MARKERS)]
    finally:
        for w in workers:
            if w.is_alive():
                w.terminate()
        for e in (sut, mock):
            if e is not None:
                try:
                    e.stop()
                except Exception as ex:  # noqa: BLE001
                    log(f"could not stop {e.name}: {ex}")
        if args.keep_workdir:
            log(f"configs and logs kept in {workdir}")

    # ---- aggregate and judge
    kinds = {k: {"sent": 0, "statuses": {}, "bad_body": 0, "errors": 0, "lat_ms": []} for k in requests}
    samples: list[str] = []
    for r in results:
        for k, rec in r["kinds"].items():
            agg = kinds[k]
            for f in ("sent", "bad_body", "errors"):
                agg[f] += rec[f]
            agg["lat_ms"].extend(rec["lat_ms"])
            for s, n in rec["statuses"].items():
                agg["statuses"][s] = agg["statuses"].get(s, 0) + n
        samples.extend(r["samples"])
    total = sum(k["sent"] for k in kinds.values())
    problems = []
    lines = [f"## ai-proxy soak: {args.clients} clients, {args.duration} s, Envoy --concurrency {args.concurrency}", "",
             "| kind | requests | expected | statuses | wrong body | socket errors | p50 ms | p99 ms |",
             "|---|---:|---:|---|---:|---:|---:|---:|"]
    unexpected_total = 0
    for k, rec in kinds.items():
        unexpected = sum(n for s, n in rec["statuses"].items() if s != EXPECTED_STATUS[k])
        unexpected_total += unexpected + rec["bad_body"] + rec["errors"]
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(rec["statuses"].items()))
        lines.append(f"| {k} | {rec['sent']} | {EXPECTED_STATUS[k]} | {statuses} | {rec['bad_body']} | {rec['errors']} "
                     f"| {percentile(rec['lat_ms'], 50):.2f} | {percentile(rec['lat_ms'], 99):.2f} |")
        if unexpected or rec["bad_body"] or rec["errors"]:
            problems.append(f"{k}: {unexpected} unexpected statuses, {rec['bad_body']} wrong bodies, "
                            f"{rec['errors']} socket errors")
    completed = sum(v for k, v in stats1.items() if k.endswith("downstream_rq_completed")) - \
        sum(v for k, v in stats0.items() if k.endswith("downstream_rq_completed"))
    lines += ["", f"Total {total} requests in {wall:.1f} s = **{total / wall:.0f} req/s**; Envoy counted {completed} "
              f"completed (includes the last in-flight ones); Envoy CPU {cpu_s:.1f} s = {100 * cpu_s / wall:.0f}% of "
              f"one core, {1e6 * cpu_s / max(total, 1):.0f} µs/request. Unexpected responses: **{unexpected_total}**."]
    rss_problems, rss_facts = judge_rss(curve, args.warmup, args.max_growth_mib, args.max_bytes_per_request)
    problems += rss_problems
    lines += ["", "RSS of the Envoy under test (VmRSS):", "", "| t (s) | RSS MiB | requests completed |", "|---:|---:|---:|"]
    lines += [f"| {t:.0f}{' (warm-up)' if t < args.warmup else ''} | {r:.1f} | {n} |" for t, r, n in curve]
    lines.append(f"| after load | {final_rss:.1f} | |")
    if "growth_mib" in rss_facts:
        lines += ["", f"After the {args.warmup:.0f} s warm-up: min {rss_facts['min_mib']:.1f}, max "
                  f"{rss_facts['max_mib']:.1f}, **max - min {rss_facts['growth_mib']:.2f} MiB** (limit "
                  f"{args.max_growth_mib:g}); rising at every sample: {rss_facts['rising_every_sample']}; "
                  f"second half: {rss_facts.get('second_half_bytes_per_request', float('nan')):.2f} bytes/request "
                  f"(limit {args.max_bytes_per_request:g})."]
    if not sut_alive:
        problems.append("Envoy exited")
    if vm_lines:
        problems.append("Wasm VM failure in Envoy's log:\n  " + "\n  ".join(vm_lines[:10]))
    print("\n".join(lines))
    if samples:
        print("\nSample problems:\n" + "\n".join(f"- {s}" for s in samples[:20]))
    if args.json:
        out = {"args": vars(args), "kinds": {k: {**{f: v for f, v in rec.items() if f != "lat_ms"},
                                                 "p50_ms": percentile(rec["lat_ms"], 50),
                                                 "p99_ms": percentile(rec["lat_ms"], 99)} for k, rec in kinds.items()},
               "total": total, "wall_s": wall, "rps": total / wall, "envoy_cpu_s": cpu_s, "rss_curve": curve,
               "rss_after_load_mib": final_rss, "rss": rss_facts, "problems": problems,
               "envoy_stats_delta": {k: stats1.get(k, 0) - stats0.get(k, 0) for k in stats1}}
        Path(args.json).write_text(json.dumps(out, indent=2) + "\n")
        log(f"JSON written to {Path(args.json).resolve()}")
    if not args.keep_workdir:
        shutil.rmtree(workdir, ignore_errors=True)
    if problems:
        print("\nFAILED:\n" + "\n".join(f"- {p}" for p in problems))
        return 1
    print("\nPASSED: every response as expected; RSS flat after warm-up.")
    return 0


def _on_sigterm(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        sys.exit(main(sys.argv[1:]))
    except SoakError as e:
        log(f"\nerror: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        log("\ninterrupted")
        sys.exit(130)
