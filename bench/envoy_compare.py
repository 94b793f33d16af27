#!/usr/bin/env python3
"""Measure what the ai-proxy Wasm filter adds to Envoy.

Three Envoy variants ("under test", SUT) are driven alternately by wrk, round after round:

  plain  Envoy with the router only
  noop   Envoy + a proxy-wasm filter that does nothing (bench/noop-filter): the floor any Wasm filter pays
  ai     Envoy + ai-proxy (dist/plugin.wasm, what `make build` ships)

All of them forward to a mock upstream: a separate Envoy process serving canned OpenAI / Anthropic
answers with direct_response, so the upstream costs (almost) nothing and is the same for every variant.

For each run it records wrk's req/s and latency p50/p99, and from /proc the SUT's CPU time per completed
request (utime+stime) and its memory (VmRSS, VmHWM). Output: a markdown table per scenario, and JSON.

Python 3.11 standard library only. Needs `wrk` (Debian: apt-get install wrk) and Envoy (>= 1.33 for
allow_on_headers_stop_iteration). Only loopback addresses are used; every run is bounded in time.
See bench/README.md.
"""
from __future__ import annotations

import argparse
import ctypes
import datetime as _dt
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import envoy_config  # noqa: E402  (stdlib only, like this script)
LOOPBACK = "127.0.0.1"

VARIANTS = {
    "plain": "Envoy, router only",
    "noop": "Envoy + no-op Wasm filter",
    "hold": "Envoy + no-op filter holding headers, reading the body",
    "ai": "Envoy + ai-proxy",
    # Only with --baseline-wasm: an earlier build of ai-proxy, so a change's before/after comes
    # from one run (the machine's speed drifts between runs).
    "base": "Envoy + ai-proxy, baseline module",
}
MAX_DURATION_S = 120
MAX_ROUNDS = 20
MAX_CONNECTIONS = 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")
NOISY_OTHER_PCT = 10.0  # busy CPU of processes not ours, % of one CPU, above which a run is flagged
WRK_MARKER = "BENCH_WRK_JSON "


# The allocator setting of the project's Envoy configs (tests/e2e/envoy_config.py), as a YAML line:
# tcmalloc releases free memory in the background (--keep-freed-memory leaves it out).
MEMORY_ALLOCATOR_MANAGER = f"memory_allocator_manager: {json.dumps(envoy_config.MEMORY_ALLOCATOR_MANAGER)}\n"


class BenchError(Exception):
    """A failure the user must see: printed without a traceback, exit status 1."""


# --------------------------------------------------------------------------------------------
# small helpers


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    """A free loopback TCP port (the OS picks it; tiny race until Envoy binds it, acceptable here)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def yaml_str(s: str) -> str:
    """A YAML scalar: JSON strings are valid YAML double-quoted strings."""
    return json.dumps(s)


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cpu_ticks(pid: int) -> int:
    """utime + stime of the whole process (all threads), in clock ticks, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read().decode()
    # The command name (field 2) is in parentheses and may contain spaces: split after the last ')'.
    fields = data[data.rindex(")") + 2 :].split()
    # fields[0] is field 3 (state); utime is field 14, stime field 15.
    return int(fields[11]) + int(fields[12])


def machine_ticks() -> dict[str, int]:
    """Machine-wide CPU time from /proc/stat's `cpu` line, in clock ticks."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = v
    return {"busy": user + nice + system, "irq": irq + softirq, "steal": steal}


def wait_quiet(max_wait: float, pct: float) -> bool:
    """Wait (at most max_wait s) until the machine's busy CPU over 1 s is below pct % of one CPU.

    Called between runs, when our own Envoys are idle, so what is busy is someone else.
    """
    deadline = time.monotonic() + max_wait
    while True:
        a = machine_ticks()["busy"]
        time.sleep(1.0)
        busy_pct = 100.0 * (machine_ticks()["busy"] - a) / CLK_TCK
        if busy_pct < pct:
            return True
        if time.monotonic() >= deadline:
            return False


def mem_kib(pid: int) -> dict[str, int]:
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(rest.split()[0])  # "   12345 kB"
    return out


def _child_setup(cpu: int | None):
    """preexec_fn: pin to one CPU (what `taskset -c CPU` does) and die with this script."""

    def setup() -> None:
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
        try:  # PR_SET_PDEATHSIG = 1: if this script is killed (even SIGKILL), children get SIGTERM.
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)
        except Exception:  # noqa: BLE001 - best effort; the try/finally cleanup is the main guard
            pass

    return setup


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode(errors="replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


# --------------------------------------------------------------------------------------------
# Envoy configurations


def mock_config(admin_port: int, port: int, mocks: dict) -> str:
    """The mock upstream: answers any authority; route chosen by path and the x-bench-mock header.

    A buffer filter reads the whole request body before the direct_response is sent: without it Envoy
    answers before the body is read and then closes the connection, and the SUT would pay a new upstream
    connection per request.
    """
    routes = []

    def route(name: str, m: dict, with_header: bool) -> str:
        header = (
            f"\n                  headers: [{{name: x-bench-mock, string_match: {{exact: {yaml_str(name)}}}}}]"
            if with_header
            else ""
        )
        return f"""
              - match:
                  path: {yaml_str(m["path"])}{header}
                direct_response:
                  status: 200
                  body: {{filename: {yaml_str(str(BENCH / m["body"]))}}}
                response_headers_to_add:
                - header: {{key: content-type, value: {yaml_str(m["content_type"])}}}
                  append_action: OVERWRITE_IF_EXISTS_OR_ADD"""

    for name, m in mocks.items():
        routes.append(route(name, m, True))
    seen_paths = set()
    for name, m in mocks.items():  # without the header: the first mock declared for that path
        if m["path"] not in seen_paths:
            seen_paths.add(m["path"])
            routes.append(route(name, m, False))
    routes.append(
        """
              - match: {prefix: "/"}
                direct_response: {status: 404, body: {inline_string: "bench mock: no such route\\n"}}"""
    )
    return f"""# generated by bench/envoy_compare.py: mock upstream
admin:
  address: {{socket_address: {{address: {LOOPBACK}, port_value: {admin_port}}}}}
static_resources:
  listeners:
  - name: mock
    address: {{socket_address: {{address: {LOOPBACK}, port_value: {port}}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: mock
          route_config:
            max_direct_response_body_size_bytes: 1048576
            virtual_hosts:
            - name: any
              domains: ["*"]
              routes:{"".join(routes)}
          http_filters:
          - name: envoy.filters.http.buffer
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer
              max_request_bytes: 1048576
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
"""


def wasm_filter(name: str, wasm: Path, configuration: str) -> str:
    """The Wasm HTTP filter: V8, plugin configuration as a StringValue.

    allow_on_headers_stop_iteration belongs to PluginConfig (envoy.extensions.wasm.v3.PluginConfig,
    the Wasm filter's `config`), not to VmConfig: checked with `envoy --mode validate` on 1.40.
    """
    return f"""
          - name: envoy.filters.http.wasm
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm
              config:
                name: {yaml_str(name)}
                root_id: ""
                allow_on_headers_stop_iteration: true
                configuration:
                  "@type": type.googleapis.com/google.protobuf.StringValue
                  value: {yaml_str(configuration)}
                vm_config:
                  vm_id: {yaml_str(name)}
                  runtime: envoy.wasm.runtime.v8
                  code: {{local: {{filename: {yaml_str(str(wasm))}}}}}"""


def sut_config(
    variant: str,
    admin_port: int,
    port: int,
    mock_port: int,
    mock_name: str,
    mock_path: str,
    client_path: str,
    wasm: Path | None,
    configuration: str,
    release_memory: bool = True,
) -> str:
    filters = ""
    if variant == "noop":
        assert wasm is not None
        filters = wasm_filter("noop", wasm, "")
    elif variant == "hold":
        assert wasm is not None
        filters = wasm_filter("hold", wasm, "hold-body")
    elif variant in ("ai", "base"):
        assert wasm is not None
        filters = wasm_filter("ai-proxy", wasm, configuration)
    # The x-bench-mock header (added by the router, after the filters ran) tells the mock which answer to
    # give, whatever the filter did to :path and :authority. Without ai-proxy nobody rewrites the path,
    # so the baselines rewrite it to the provider's path here: every variant gets the same upstream answer.
    rewrite = ""
    if variant not in ("ai", "base") and client_path != mock_path:
        rewrite = f"""
              - match: {{prefix: {yaml_str(client_path)}}}
                route: {{cluster: mock, timeout: 10s, prefix_rewrite: {yaml_str(mock_path)}}}
                request_headers_to_add:
                - header: {{key: x-bench-mock, value: {yaml_str(mock_name)}}}
                  append_action: OVERWRITE_IF_EXISTS_OR_ADD"""
    # Every variant gets the same allocator setting: tcmalloc gives free pages back to the OS
    # (what V8 freed after compiling a module); without it the RSS columns include that cache.
    allocator = MEMORY_ALLOCATOR_MANAGER if release_memory else ""
    return f"""# generated by bench/envoy_compare.py: Envoy under test, variant {variant}
{allocator}admin:
  address: {{socket_address: {{address: {LOOPBACK}, port_value: {admin_port}}}}}
static_resources:
  listeners:
  - name: sut
    address: {{socket_address: {{address: {LOOPBACK}, port_value: {port}}}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: bench
          route_config:
            virtual_hosts:
            - name: any
              domains: ["*"]
              routes:{rewrite}
              - match: {{prefix: "/"}}
                route: {{cluster: mock, timeout: 10s}}
                request_headers_to_add:
                - header: {{key: x-bench-mock, value: {yaml_str(mock_name)}}}
                  append_action: OVERWRITE_IF_EXISTS_OR_ADD
          http_filters:{filters}
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: mock
    type: STATIC
    connect_timeout: 1s
    load_assignment:
      cluster_name: mock
      endpoints:
      - lb_endpoints:
        - endpoint: {{address: {{socket_address: {{address: {LOOPBACK}, port_value: {mock_port}}}}}}}
"""


# --------------------------------------------------------------------------------------------
# processes


class Envoy:
    def __init__(self, name: str, envoy_bin: Path, config: str, workdir: Path, admin_port: int, cpu: int | None):
        self.name = name
        self.admin_port = admin_port
        self.config_path = workdir / f"{name}.yaml"
        self.log_path = workdir / f"{name}.log"
        self.config_path.write_text(config)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [
                str(envoy_bin),
                "-c", str(self.config_path),
                "--concurrency", "1",
                "--disable-hot-restart",
                "-l", "warn",
            ],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_child_setup(cpu),
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_tail(self, n: int = 25) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(
                    f"envoy '{self.name}' exited with status {self.proc.returncode} while starting.\n"
                    f"config: {self.config_path}\nlog ({self.log_path}):\n{self.log_tail()}"
                )
            try:
                status, body = http_get(f"http://{LOOPBACK}:{self.admin_port}/ready", timeout=1.0)
                if status == 200 and body.strip() == "LIVE":
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchError(f"envoy '{self.name}' not ready after {timeout:.0f}s; log:\n{self.log_tail()}")

    def stats(self) -> dict[str, int]:
        status, body = http_get(f"http://{LOOPBACK}:{self.admin_port}/stats?filter=^(http\\.bench|cluster\\.mock)\\.")
        if status != 200:
            raise BenchError(f"envoy '{self.name}': admin /stats answered {status}")
        out = {}
        for line in body.splitlines():
            key, _, value = line.partition(": ")
            if value.strip().isdigit():
                out[key.strip()] = int(value)
        return out

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchError(
                f"envoy '{self.name}' died (status {self.proc.returncode}); log:\n{self.log_tail()}"
            )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()


# --------------------------------------------------------------------------------------------
# wrk


WRK_LUA = r"""-- generated by bench/envoy_compare.py
wrk.method = "POST"
wrk.path = __PATH__
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer client-key"
wrk.body = __BODY__

-- Exact figures for the script (wrk's text output rounds them).
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '__MARKER__{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.3f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
"""


def lua_string(s: str) -> str:
    """A Lua long-bracket string literal holding s exactly."""
    level = 0
    while f"]{'=' * level}]" in s:
        level += 1
    eq = "=" * level
    # A newline right after the opening bracket is skipped by Lua: add one so s's first char survives.
    return f"[{eq}[\n{s}]{eq}]"


def write_wrk_script(path: Path, client_path: str, body: str) -> None:
    path.write_text(
        WRK_LUA.replace("__PATH__", lua_string(client_path))
        .replace("__BODY__", lua_string(body))
        .replace("__MARKER__", WRK_MARKER)
    )


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3, "h": 3600e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * _UNITS[m.group(2)]


def parse_wrk(out: str) -> dict:
    """wrk's output: the JSON line from done() if present, else its text (requires --latency)."""
    res: dict = {}
    text: dict = {}
    m = re.search(r"^\s*(\d+) requests in ([\d.]+\w+),", out, re.M)
    if m:
        text["requests"] = int(m.group(1))
        text["duration_s"] = _ms(m.group(2)) / 1e3
    m = re.search(r"^Requests/sec:\s*([\d.]+)", out, re.M)
    if m:
        text["rps"] = float(m.group(1))
    for pct in ("50", "99"):
        m = re.search(rf"^\s*{pct}(?:\.0+)?%\s+(\S+)", out, re.M)
        if m:
            text[f"p{pct}_ms"] = _ms(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
    text["non_2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    text["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0

    line = next((ln for ln in out.splitlines() if ln.startswith(WRK_MARKER)), None)
    if line:
        j = json.loads(line[len(WRK_MARKER):])
        e = j["errors"]
        res = {
            "requests": j["requests"],
            "duration_s": j["duration_us"] / 1e6,
            "rps": j["requests"] / (j["duration_us"] / 1e6) if j["duration_us"] else 0.0,
            "p50_ms": j["latency_us"]["p50"] / 1e3,
            "p90_ms": j["latency_us"]["p90"] / 1e3,
            "p99_ms": j["latency_us"]["p99"] / 1e3,
            "max_ms": j["latency_us"]["max"] / 1e3,
            "mean_ms": j["latency_us"]["mean"] / 1e3,
            "bytes_read": j["bytes"],
            "non_2xx": e["status"],
            "socket_errors": e["connect"] + e["read"] + e["write"] + e["timeout"],
        }
    else:
        res = text
    missing = [k for k in ("requests", "rps", "p50_ms", "p99_ms") if k not in res]
    if missing:
        raise BenchError(f"could not read {missing} from wrk's output:\n{out}")
    return res


def run_wrk(
    wrk: str, script: Path, url: str, connections: int, threads: int, duration: int, cpu: int | None
) -> tuple[dict, str]:
    cmd = [
        wrk, "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
        "--timeout", "5s", "-s", str(script), url,
    ]
    try:
        p = subprocess.run(
            cmd, capture_output=True, text=True, timeout=duration + 30, preexec_fn=_child_setup(cpu),
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"wrk did not finish within {duration + 30}s: {' '.join(cmd)}") from e
    if p.returncode != 0:
        raise BenchError(f"wrk failed (status {p.returncode}): {' '.join(cmd)}\n{p.stdout}\n{p.stderr}")
    return parse_wrk(p.stdout), p.stdout


# --------------------------------------------------------------------------------------------
# measurement


def measure(sut: Envoy, mock: Envoy, args, script: Path, url: str, duration: int) -> dict:
    sut.check_alive()
    mock.check_alive()
    s0 = sut.stats()
    k0 = resource.getrusage(resource.RUSAGE_CHILDREN)  # reaped children: during the run, only wrk
    x0, c0, m0, t0 = machine_ticks(), cpu_ticks(sut.pid), cpu_ticks(mock.pid), time.monotonic()
    w, raw = run_wrk(args.wrk, script, url, args.connections, args.threads, duration, args.wrk_cpu)
    c1, m1, t1, x1 = cpu_ticks(sut.pid), cpu_ticks(mock.pid), time.monotonic(), machine_ticks()
    k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    mem = mem_kib(sut.pid)
    sut.check_alive()
    s1 = sut.stats()

    def delta(key: str) -> int:
        return s1.get(key, 0) - s0.get(key, 0)

    wall = t1 - t0
    cpu_us = (c1 - c0) * 1e6 / CLK_TCK
    wrk_s = k1.ru_utime + k1.ru_stime - k0.ru_utime - k0.ru_stime
    # Busy CPU on the machine that is none of ours (other processes, e.g. a build): the noise indicator.
    other_s = (x1["busy"] - x0["busy"] - (c1 - c0) - (m1 - m0)) / CLK_TCK - wrk_s
    requests = w["requests"]
    r = dict(w)
    r.update(
        {
            "wall_s": wall,
            "sut_cpu_us": cpu_us,
            "cpu_us_per_req": cpu_us / requests if requests else float("nan"),
            "sut_cpu_pct": 100.0 * cpu_us / 1e6 / wall,
            "mock_cpu_pct": 100.0 * (m1 - m0) / CLK_TCK / wall,
            "wrk_cpu_pct": 100.0 * wrk_s / wall,
            "other_cpu_pct": max(0.0, 100.0 * other_s / wall),
            "irq_cpu_pct": 100.0 * (x1["irq"] - x0["irq"]) / CLK_TCK / wall,
            "steal_cpu_pct": 100.0 * (x1["steal"] - x0["steal"]) / CLK_TCK / wall,
            "rss_mib": mem.get("VmRSS", 0) / 1024,
            "hwm_mib": mem.get("VmHWM", 0) / 1024,
            "loadavg_1m": os.getloadavg()[0],
            "envoy_rq_completed": delta("http.bench.downstream_rq_completed"),
            "envoy_rq_2xx": delta("http.bench.downstream_rq_2xx"),
            "envoy_upstream_rq_2xx": delta("cluster.mock.upstream_rq_2xx"),
            "envoy_upstream_cx": delta("cluster.mock.upstream_cx_total"),
        }
    )
    # Envoy's own count catches 3xx too (wrk counts only >= 400 as errors).
    r["envoy_non_2xx"] = r["envoy_rq_completed"] - r["envoy_rq_2xx"]
    if r["non_2xx"] or r["envoy_non_2xx"] or r["socket_errors"]:
        raise BenchError(
            f"{sut.name}: {r['non_2xx']} non-2xx responses seen by wrk, {r['envoy_non_2xx']} by Envoy "
            f"(completed {r['envoy_rq_completed']}, 2xx {r['envoy_rq_2xx']}), {r['socket_errors']} socket errors.\n"
            f"wrk output:\n{raw}\nSUT log tail:\n{sut.log_tail()}"
        )
    return r


def sanity_request(sut: Envoy, port: int, client_path: str, body: bytes) -> dict:
    """One request through the variant before loading it: must be 2xx with a non-empty body."""
    req = urllib.request.Request(
        f"http://{LOOPBACK}:{port}{client_path}",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer client-key"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            data = r.read()
            status, ctype = r.status, r.headers.get("content-type", "")
    except urllib.error.HTTPError as e:
        data = e.read()
        raise BenchError(
            f"{sut.name}: sanity request answered {e.code}: {data[:600]!r}\nlog tail:\n{sut.log_tail()}"
        ) from e
    if not (200 <= status < 300) or not data:
        raise BenchError(f"{sut.name}: sanity request answered {status} with {len(data)} bytes")
    return {"status": status, "content_type": ctype, "bytes": len(data), "head": data[:160].decode(errors="replace")}


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def summarize(runs: list[dict], variants: list[str]) -> tuple[dict, dict]:
    by = {v: [r for r in runs if r["variant"] == v] for v in variants}
    summary = {}
    for v, rs in by.items():
        if not rs:
            continue
        s = {"runs": len(rs)}
        for k in ("rps", "p50_ms", "p99_ms", "cpu_us_per_req", "sut_cpu_pct", "mock_cpu_pct", "wrk_cpu_pct",
                  "other_cpu_pct", "rss_mib", "hwm_mib"):
            xs = [r[k] for r in rs]
            s[k] = median(xs)
            s[k + "_min"] = min(xs)
            s[k + "_max"] = max(xs)
        summary[v] = s

    def paired(a: str, b: str, key: str) -> list[float]:
        """Per-round differences a - b (the two ran back to back, so slow drift cancels)."""
        ra = {r["round"]: r[key] for r in by.get(a, [])}
        rb = {r["round"]: r[key] for r in by.get(b, [])}
        return [ra[k] - rb[k] for k in sorted(ra) if k in rb]

    derived: dict = {}
    pairs = (
        ("noop", "plain", "noop_over_plain"),
        ("hold", "noop", "hold_over_noop"),
        ("ai", "noop", "ai_over_noop"),
        ("ai", "hold", "ai_over_hold"),
        ("ai", "plain", "ai_over_plain"),
        ("ai", "base", "ai_over_base"),
    )
    for a, b, name in pairs:
        if a in summary and b in summary:
            d = paired(a, b, "cpu_us_per_req")
            derived[f"cpu_us_per_req_{name}"] = median(d)
            derived[f"cpu_us_per_req_{name}_rounds"] = d
    if "plain" in summary:
        p = summary["plain"]
        for v in variants:
            if v != "plain" and v in summary:
                derived[f"rps_ratio_{v}_to_plain"] = summary[v]["rps"] / p["rps"]
                derived[f"rss_ratio_{v}_to_plain"] = summary[v]["rss_mib"] / p["rss_mib"]
                derived[f"p50_ratio_{v}_to_plain"] = summary[v]["p50_ms"] / p["p50_ms"]
    return summary, derived


def markdown(name: str, sc: dict, runs: list[dict], summary: dict, derived: dict, rounds: int, noisy_pct: float) -> str:
    lines = [
        f"### {name}: {sc['description']}",
        "",
        f"POST {sc['client_path']} ({sc['request_bytes']} B body), upstream answer `{sc['mock_body']}` "
        f"({sc['mock_bytes']} B, {sc['mock_content_type']}); medians of {rounds} rounds, CPU as median (min–max).",
        "",
        "| variant | req/s | p50 ms | p99 ms | CPU µs/req | SUT CPU % | RSS MiB | peak RSS MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for v, s in summary.items():
        lines.append(
            f"| {VARIANTS[v]} | {s['rps']:.0f} | {s['p50_ms']:.3f} | {s['p99_ms']:.3f} | "
            f"{s['cpu_us_per_req']:.1f} ({s['cpu_us_per_req_min']:.1f}–{s['cpu_us_per_req_max']:.1f}) | "
            f"{s['sut_cpu_pct']:.0f} | {s['rss_mib']:.1f} | {s['hwm_mib']:.1f} |"
        )
    client = ", ".join(
        f"{v} {s['mock_cpu_pct']:.0f}+{s['wrk_cpu_pct']:.0f}" for v, s in summary.items()
    )
    other = max(s["other_cpu_pct_max"] for s in summary.values())
    noisy = [f"{r['variant']} round {r['round'] + 1}" for r in runs if r["other_cpu_pct"] > noisy_pct]
    lines += ["", f"Load side, mock + wrk CPU % (they share one CPU when pinned): {client}. "
              f"Other processes on the machine: up to {other:.0f}% of a CPU during a kept run"
              + (f" — **disturbed runs: {', '.join(noisy)}; treat those figures with care**." if noisy else "."), ""]
    facts = []
    labels = {
        "noop_over_plain": "no-op Wasm filter over plain Envoy (cost of any Wasm filter)",
        "hold_over_noop": "holding the headers and reading the body, over the no-op filter",
        "ai_over_noop": "ai-proxy over the no-op filter (ai-proxy's own work)",
        "ai_over_hold": "ai-proxy over the body-reading no-op filter",
        "ai_over_plain": "ai-proxy over plain Envoy (total)",
        "ai_over_base": "ai-proxy over the baseline module (this change)",
    }
    for key, label in labels.items():
        k = f"cpu_us_per_req_{key}"
        if k in derived:
            rounds_txt = ", ".join(f"{x:+.1f}" for x in derived[k + "_rounds"])
            facts.append(f"- CPU µs/request, {label}: **{derived[k]:+.1f}** (per round: {rounds_txt})")
    for v in ("noop", "hold", "base", "ai"):
        if f"rps_ratio_{v}_to_plain" in derived:
            facts.append(
                f"- {VARIANTS[v]} vs plain: throughput ×{derived[f'rps_ratio_{v}_to_plain']:.3f}, "
                f"p50 ×{derived[f'p50_ratio_{v}_to_plain']:.3f}, RSS ×{derived[f'rss_ratio_{v}_to_plain']:.3f}"
            )
    lines += facts
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# main


def resolve(p: str) -> Path:
    path = Path(p)
    return path if path.is_absolute() else (REPO / path)


def pick_cpus(args) -> None:
    """Default: SUT on the first allowed CPU, mock and wrk on the second, when there are two."""
    allowed = sorted(os.sched_getaffinity(0))

    def one(value: str, default_index: int) -> int | None:
        if value == "none":
            return None
        if value == "auto":
            return allowed[default_index] if len(allowed) >= 2 else None
        cpu = int(value)
        if cpu not in allowed:
            raise BenchError(f"CPU {cpu} is not available to this process (allowed: {allowed})")
        return cpu

    args.sut_cpu = one(args.sut_cpu, 0)
    args.mock_cpu = one(args.mock_cpu, 1)
    args.wrk_cpu = one(args.wrk_cpu, 1)


def envoy_version(envoy_bin: Path) -> str:
    p = subprocess.run([str(envoy_bin), "--version"], capture_output=True, text=True, timeout=30)
    m = re.search(r"version:\s*(\S+)", p.stdout + p.stderr)
    return m.group(1) if m else (p.stdout + p.stderr).strip()


def parse_args(argv: list[str]):
    ap = argparse.ArgumentParser(
        description="Compare Envoy alone, Envoy + no-op Wasm filter and Envoy + ai-proxy under load (loopback only).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    ap.add_argument("--envoy", default=".venv/bin/envoy", help="Envoy binary (relative paths: from the repo root)")
    ap.add_argument("--wrk", default="wrk", help="wrk binary")
    ap.add_argument("--ai-proxy-wasm", default="dist/plugin.wasm", help="ai-proxy module")
    ap.add_argument("--baseline-wasm", default=None,
                    help="an earlier ai_proxy.wasm: adds variant `base`, for a change's before/after in one run")
    ap.add_argument("--noop-wasm", default="target/wasm32-wasip1/release/noop_filter.wasm", help="no-op module")
    ap.add_argument("--scenarios-file", default="bench/scenarios.json", help="scenario and mock definitions")
    ap.add_argument("--scenarios", default="default",
                    help="comma-separated scenario names, 'default' (those marked default) or 'all'")
    ap.add_argument("--config", default=None,
                    help="ai-proxy YAML configuration for every selected scenario "
                         "(default: each scenario's own, e.g. bench/configs/openai.yaml)")
    ap.add_argument("--variants", default="plain,noop,hold,ai", help="comma-separated subset of plain,noop,hold,ai (hold: the no-op module holding the headers "
                    "and reading the body, the floor of any body-reading filter)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; each runs every variant once, order rotated")
    ap.add_argument("--duration", type=int, default=10, help="seconds of load per variant per round")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of unrecorded load per variant before round 1")
    ap.add_argument("--connections", type=int, default=16, help="wrk connections")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--sut-cpu", default="auto", help="CPU for the Envoy under test: a number, 'auto' or 'none'")
    ap.add_argument("--mock-cpu", default="auto", help="CPU for the mock upstream Envoy")
    ap.add_argument("--wrk-cpu", default="auto", help="CPU for wrk")
    ap.add_argument("--noisy-pct", type=float, default=NOISY_OTHER_PCT,
                    help="a run during which other processes used more than this %% of a CPU is noisy")
    ap.add_argument("--noisy-retries", type=int, default=2, help="how often a noisy run is done again")
    ap.add_argument("--idle-wait", type=float, default=30,
                    help="before each run, wait at most this many seconds for the machine to be quiet")
    ap.add_argument("--json", default=None, help="write all results to this JSON file")
    ap.add_argument("--keep-freed-memory", action="store_true",
                    help="leave memory_allocator_manager out of the Envoys under test (tcmalloc keeps freed pages)")
    ap.add_argument("--keep-workdir", action="store_true", help="keep generated configs and Envoy logs")
    ap.add_argument("--list", action="store_true", help="list scenarios and exit")
    args = ap.parse_args(argv)
    if not 1 <= args.duration <= MAX_DURATION_S:
        ap.error(f"--duration must be 1..{MAX_DURATION_S}")
    if not 0 <= args.warmup <= MAX_DURATION_S:
        ap.error(f"--warmup must be 0..{MAX_DURATION_S}")
    if not 1 <= args.rounds <= MAX_ROUNDS:
        ap.error(f"--rounds must be 1..{MAX_ROUNDS}")
    if not 1 <= args.connections <= MAX_CONNECTIONS:
        ap.error(f"--connections must be 1..{MAX_CONNECTIONS}")
    if not 0 <= args.noisy_retries <= 5:
        ap.error("--noisy-retries must be 0..5")
    if not 0 <= args.idle_wait <= 300:
        ap.error("--idle-wait must be 0..300")
    if not 1 <= args.threads <= args.connections:
        ap.error("--threads must be 1..connections")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    data = json.loads(resolve(args.scenarios_file).read_text())
    mocks, scenarios = data["mocks"], data["scenarios"]
    if args.list:
        for n, s in scenarios.items():
            print(f"{n:14} {'default' if s.get('default') else '       '}  {s['description']}")
        return 0

    if args.scenarios == "all":
        names = list(scenarios)
    elif args.scenarios == "default":
        names = [n for n, s in scenarios.items() if s.get("default")]
    else:
        names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in scenarios]
    if unknown:
        raise BenchError(f"unknown scenario(s) {unknown}; known: {', '.join(scenarios)}")
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    bad = [v for v in variants if v not in VARIANTS]
    if bad or not variants:
        raise BenchError(f"unknown variant(s) {bad}; known: {', '.join(VARIANTS)}")

    # ---- prerequisites, all checked before anything starts
    envoy_bin = resolve(args.envoy)
    if not (envoy_bin.is_file() and os.access(envoy_bin, os.X_OK)):
        raise BenchError(f"Envoy not found at {envoy_bin}: run the project's install script, or pass --envoy PATH")
    wrk = shutil.which(args.wrk)
    if not wrk:
        raise BenchError("wrk not found: install it (Debian/Ubuntu: sudo apt-get install -y wrk), or pass --wrk PATH")
    args.wrk = wrk
    wasm = {}
    for v in ("noop", "hold"):  # the same module; `hold` configures it to read the body
        if v in variants:
            wasm[v] = resolve(args.noop_wasm)
            if not wasm[v].is_file():
                raise BenchError(f"{wasm[v]} missing: cargo build --release --target wasm32-wasip1 -p noop-filter")
    if args.baseline_wasm and "base" not in variants:
        variants.append("base")
    if "base" in variants:
        if not args.baseline_wasm:
            raise BenchError("variant base needs --baseline-wasm FILE (an earlier ai_proxy.wasm)")
        wasm["base"] = resolve(args.baseline_wasm)
        if not wasm["base"].is_file():
            raise BenchError(f"{wasm['base']} missing (--baseline-wasm)")
    if "ai" in variants:
        wasm["ai"] = resolve(args.ai_proxy_wasm)
        if not wasm["ai"].is_file():
            raise BenchError(
                f"{wasm['ai']} missing: cargo build --release --target wasm32-wasip1 -p ai-proxy "
                "(or run with --variants plain,noop)"
            )
    pick_cpus(args)

    results: dict = {
        "meta": {
            "started": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "envoy": str(envoy_bin),
            "envoy_version": envoy_version(envoy_bin),
            "wrk": subprocess.run([wrk, "-v"], capture_output=True, text=True).stdout.splitlines()[0:1],
            "wasm": {},
            "variants": variants,
            "rounds": args.rounds,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "noisy_pct": args.noisy_pct,
            "noisy_retries": args.noisy_retries,
            "idle_wait_s": args.idle_wait,
            "connections": args.connections,
            "threads": args.threads,
            "memory_allocator_manager": not args.keep_freed_memory,
            "cpus": {"sut": args.sut_cpu, "mock": args.mock_cpu, "wrk": args.wrk_cpu,
                     "online": os.cpu_count(), "allowed": sorted(os.sched_getaffinity(0))},
            "clk_tck": CLK_TCK,
            "loadavg_at_start": os.getloadavg(),
            "host": {"kernel": platform.release(), "machine": platform.machine(), "python": platform.python_version()},
        },
        "scenarios": {},
    }

    workdir = Path(tempfile.mkdtemp(prefix="ai-proxy-bench-"))
    procs: list[Envoy] = []
    markdown_out = []
    try:
        # Snapshot the modules: a rebuild during the benchmark must not change what later scenarios load.
        for k, src in list(wasm.items()):
            dst = workdir / f"{k}-{src.name}"
            shutil.copyfile(src, dst)
            wasm[k] = dst
            results["meta"]["wasm"][k] = {"path": str(src), "bytes": dst.stat().st_size, "sha256": sha256(dst)}
        mock_admin, mock_port = free_port(), free_port()
        mock = Envoy("mock", envoy_bin, mock_config(mock_admin, mock_port, mocks), workdir, mock_admin, args.mock_cpu)
        procs.append(mock)
        mock.wait_ready()
        log(f"mock upstream: pid {mock.pid}, 127.0.0.1:{mock_port}, cpu {args.mock_cpu}; workdir {workdir}")

        for name in names:
            sc = dict(scenarios[name])
            m = mocks[sc["mock"]]
            cfg_path = resolve(args.config) if args.config else BENCH / sc["config"]
            configuration = cfg_path.read_text()
            req = json.loads((BENCH / sc["request"]).read_text())
            req.update(sc.get("request_overrides", {}))
            body = json.dumps(req, separators=(",", ":"))
            sc.update(
                {
                    "request_bytes": len(body.encode()),
                    "mock_body": m["body"],
                    "mock_bytes": (BENCH / m["body"]).stat().st_size,
                    "mock_content_type": m["content_type"],
                    "ai_proxy_config_file": str(cfg_path),
                }
            )
            script = workdir / f"{name}.lua"
            write_wrk_script(script, sc["client_path"], body)
            log(f"\n== scenario {name}: {sc['description']} (request {sc['request_bytes']} B)")

            suts: dict[str, tuple[Envoy, int]] = {}
            for v in variants:
                admin, port = free_port(), free_port()
                e = Envoy(
                    f"{name}-{v}", envoy_bin,
                    sut_config(v, admin, port, mock_port, sc["mock"], m["path"], sc["client_path"],
                               wasm.get(v), configuration, not args.keep_freed_memory),
                    workdir, admin, args.sut_cpu,
                )
                procs.append(e)
                suts[v] = (e, port)
            sanity = {}
            for v, (e, port) in suts.items():
                e.wait_ready()
                sanity[v] = sanity_request(e, port, sc["client_path"], body.encode())
                log(f"  {v:5} pid {e.pid} port {port}: sanity {sanity[v]['status']} "
                    f"{sanity[v]['content_type']} {sanity[v]['bytes']} B")
            if args.warmup:
                for v, (e, port) in suts.items():
                    measure(e, mock, args, script, f"http://{LOOPBACK}:{port}", args.warmup)
            runs = []
            for rnd in range(args.rounds):
                order = variants[rnd % len(variants):] + variants[: rnd % len(variants)]
                for v in order:
                    e, port = suts[v]
                    best = None  # the least disturbed attempt
                    for attempt in range(args.noisy_retries + 1):
                        quiet = wait_quiet(args.idle_wait, args.noisy_pct)
                        r = measure(e, mock, args, script, f"http://{LOOPBACK}:{port}", args.duration)
                        r["quiet_before"] = quiet
                        if best is None or r["other_cpu_pct"] < best["other_cpu_pct"]:
                            best = r
                        if r["other_cpu_pct"] <= args.noisy_pct:
                            break
                        log(f"  round {rnd + 1}/{args.rounds} {v:5}: other processes used "
                            f"{r['other_cpu_pct']:.0f}% of a CPU"
                            + (": run again" if attempt < args.noisy_retries else ": keeping the least disturbed try"))
                    r = best
                    r.update({"variant": v, "round": rnd, "attempts": attempt + 1})
                    runs.append(r)
                    log(
                        f"  round {rnd + 1}/{args.rounds} {v:5}: {r['rps']:8.0f} req/s  p50 {r['p50_ms']:.3f} ms  "
                        f"p99 {r['p99_ms']:.3f} ms  {r['cpu_us_per_req']:6.1f} CPU µs/req  "
                        f"SUT {r['sut_cpu_pct']:3.0f}%  mock {r['mock_cpu_pct']:3.0f}%  wrk {r['wrk_cpu_pct']:3.0f}%  "
                        f"other {r['other_cpu_pct']:3.0f}%  RSS {r['rss_mib']:.1f} MiB"
                    )
            for v, (e, _) in suts.items():
                e.stop()
                procs.remove(e)
            summary, derived = summarize(runs, variants)
            md = markdown(name, sc, runs, summary, derived, args.rounds, args.noisy_pct)
            markdown_out.append(md)
            results["scenarios"][name] = {
                "scenario": sc, "sanity": sanity, "runs": runs, "summary": summary, "derived": derived,
            }
            if args.mock_cpu is not None and args.mock_cpu == args.wrk_cpu:
                busy = max(s["mock_cpu_pct"] + s["wrk_cpu_pct"] for s in summary.values())
            else:
                busy = max(max(s["mock_cpu_pct"], s["wrk_cpu_pct"]) for s in summary.values())
            noisy = [f"{r['variant']}#{r['round'] + 1}" for r in runs if r["other_cpu_pct"] > args.noisy_pct]
            if noisy:
                log(f"  warning: other processes used > {args.noisy_pct:.0f}% of a CPU during runs {', '.join(noisy)}: "
                    "the machine was not idle, expect noise")
            if busy > 90:
                log(f"  note: the load side (mock, wrk) was {busy:.0f}% busy: req/s may be capped by it rather "
                    "than by the Envoy under test; CPU µs/request is still valid")
    finally:
        for e in reversed(procs):
            try:
                e.stop()
            except Exception as ex:  # noqa: BLE001 - keep stopping the others
                log(f"could not stop {e.name}: {ex}")
        if args.keep_workdir:
            log(f"configs and logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    meta = results["meta"]
    header = (
        f"## ai-proxy Envoy benchmark\n\nEnvoy {meta['envoy_version']}, --concurrency 1 on CPU {args.sut_cpu}; "
        f"mock upstream on CPU {args.mock_cpu}, wrk on CPU {args.wrk_cpu} ({args.threads} thread, "
        f"{args.connections} connections, {args.duration} s per run, {args.rounds} rounds); "
        + ("tcmalloc keeps freed memory.\n" if args.keep_freed_memory
           else "memory_allocator_manager releases free memory "
                f"({envoy_config.MEMORY_ALLOCATOR_MANAGER['bytes_to_release'] >> 20} MiB/s).\n")
    )
    print(header)
    print("\n".join(markdown_out))
    if args.json:
        out = Path(args.json).resolve()  # relative to the current directory, like any CLI path
        out.write_text(json.dumps(results, indent=2) + "\n")
        log(f"JSON written to {out}")
    return 0


def _on_sigterm(signum, frame):  # noqa: ARG001
    raise KeyboardInterrupt


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        sys.exit(main(sys.argv[1:]))
    except BenchError as e:
        log(f"\nerror: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        log("\ninterrupted")
        sys.exit(130)
