"""Library behind the real-Envoy end-to-end suite (stdlib only; pytest lives in conftest/tests).

Loads the shared fixtures (`tests/fixtures/**/case.json`, contract in tests/fixtures/README.md),
runs the mock upstream and Envoy as subprocesses, sends a case's request and checks what the
mock received and what the client got back. Every check returns a list of readable problems;
an empty list means the case passed.
"""

from __future__ import annotations

import base64
import difflib
import http.client
import json
import re
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
FIXTURES = Path(os.environ.get("AI_PROXY_FIXTURES") or REPO / "tests" / "fixtures").resolve()
RUNTIME = HERE / ".runtime"
sys.path.insert(0, str(HERE))

import envoy_config  # noqa: E402
from mock_upstream import CHUNKINGS  # noqa: E402

DEFAULT_WASM = REPO / "dist" / "plugin.wasm"
MODULES = ("ai-proxy", "noop")

# Lines in Envoy's log that mean the Wasm VM broke (a panic traps the VM; later requests on
# the same VM would fail too, so the harness restarts Envoy after one).
VM_FAILURE_MARKERS = ("panicked at", "Wasm VM failed", "RuntimeError", "Function: proxy_on_", "wasm trap")
# Envoy's own words when a plugin's on_configure returns false (verified on 1.40: at startup
# Envoy logs them and exits with status 1; `--mode validate` fails the same way).
CONFIG_REJECTED_MARKER = "Unable to create Wasm plugin"


# --------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------


@dataclass
class Case:
    id: str  # folder relative to tests/fixtures, e.g. "deepseek/chat-basic"
    path: Path
    data: dict

    @property
    def module(self) -> str:
        return self.data.get("e2e_module", "ai-proxy")

    @property
    def skip_reason(self) -> str | None:
        reason = self.data.get("skip_e2e")
        return str(reason) if reason else None

    @property
    def config_errors(self) -> list[str]:
        v = self.data.get("config_error")
        if v is None:
            return []
        return [v] if isinstance(v, str) else list(v)

    @property
    def is_rejected_config(self) -> bool:
        return "config_error" in self.data

    @property
    def is_stream(self) -> bool:
        up = self.data.get("upstream") or {}
        return "body_text" in (up.get("response") or {})

    @property
    def chunkings(self) -> list[str]:
        return list(CHUNKINGS) if self.is_stream else ["whole"]

    @property
    def plugin_config(self) -> str:
        return json.dumps(self.data.get("config", {}), separators=(",", ":"), ensure_ascii=False)


def load_cases(root: Path = FIXTURES) -> list[Case]:
    cases = []
    for p in sorted(root.rglob("case.json")):
        rel = p.parent.relative_to(root).as_posix()
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except ValueError as e:
            raise SystemExit(f"{p}: invalid JSON: {e}") from e
        if not isinstance(data, dict):
            raise SystemExit(f"{p}: a case must be a JSON object")
        cases.append(Case(rel, p, data))
    return cases


def module_under_test(wasm: Path) -> str:
    m = os.environ.get("AI_PROXY_E2E_MODULE")
    if m:
        if m not in MODULES:
            raise SystemExit(f"AI_PROXY_E2E_MODULE must be one of {MODULES}, not {m!r}")
        return m
    return "noop" if "noop" in wasm.name else "ai-proxy"


def skip_reason_for(case: Case, module: str) -> str | None:
    """Why this run leaves the case out, or None if it runs."""
    if case.skip_reason:
        return f"skip_e2e: {case.skip_reason}"
    if case.module != module:
        return f"runs with the {case.module} module only (this run: {module})"
    return None


def wasm_under_test() -> Path:
    return Path(os.environ.get("AI_PROXY_WASM") or DEFAULT_WASM).resolve()


def envoy_binary() -> str:
    for cand in (os.environ.get("ENVOY_BIN"), REPO / ".venv" / "bin" / "envoy", shutil.which("envoy")):
        if cand and Path(cand).exists():
            return str(cand)
    raise SystemExit("no envoy binary: run scripts/install-envoy.sh (or set ENVOY_BIN)")


# --------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------


def free_ports(n: int) -> list[int]:
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def _http_json(method: str, url: str, body=None, timeout: float = 10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read())


class MockUpstream:
    def __init__(self, log_path: Path):
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-u", str(HERE / "mock_upstream.py"), "--host", "127.0.0.1", "--port", "0"],
            stdout=subprocess.PIPE, stderr=self._log, stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("mock-upstream listening on"):
            self.stop()
            raise RuntimeError(f"mock upstream did not start: {line!r}; see {self.log_path}")
        self.port = int(line.rsplit(":", 1)[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def arm(self, response: dict | None, chunking: str = "whole", delay_ms: int = 0, fault: dict | None = None) -> None:
        spec = {"response": response, "chunking": chunking, "delay_ms": delay_ms}
        if fault is not None:
            spec["fault"] = fault  # see mock_upstream.py: reset, close, hang, cut
        _http_json("POST", self.url + "/__arm", spec)

    def reset(self) -> None:
        _http_json("POST", self.url + "/__reset", {})

    def received(self) -> list[dict]:
        return _http_json("GET", self.url + "/__received", timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Envoy:
    """One Envoy process on a generated bootstrap; its stdout+stderr go to `log_path`."""

    def __init__(self, bootstrap: dict, workdir: Path, name: str = "envoy", concurrency: int = 1):
        self.bootstrap = bootstrap
        self.workdir = workdir
        self.name = name
        self.concurrency = concurrency
        self.config_path = workdir / f"{name}.yaml"
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen | None = None
        self.admin_port = bootstrap["admin"]["address"]["socket_address"]["port_value"]
        self.restarts = 0

    def command(self) -> list[str]:
        # Envoy's own chatter at warning and above; the plugin's log lines (component `wasm`) at
        # info and above, or as E2E_WASM_LOG_LEVEL says (debug/trace to see more of the filter).
        return [envoy_binary(), "-c", str(self.config_path), "--concurrency", str(self.concurrency),
                "--disable-hot-restart", "--log-level", os.environ.get("E2E_ENVOY_LOG_LEVEL", "warning"),
                "--component-log-level", "wasm:" + os.environ.get("E2E_WASM_LOG_LEVEL", "info"),
                "--file-flush-interval-msec", "20"]

    def spawn(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(envoy_config.to_yaml(self.bootstrap), encoding="utf-8")
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def start(self, timeout: float = 60) -> None:
        """Start and wait until Envoy is LIVE (all static listeners bound). Raises on failure."""
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Envoy exited with status {self.proc.returncode} during startup\n"
                                   + self.log_tail())
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/ready", timeout=1) as r:
                    if r.status == 200 and r.read().strip() == b"LIVE":
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"Envoy not ready after {timeout}s\n" + self.log_tail())

    def wait_exit(self, timeout: float) -> int | None:
        """For configs Envoy must refuse: the exit status, or None if it came up instead."""
        self.spawn()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.proc.poll()
            if rc is not None:
                return rc
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.admin_port}/ready", timeout=1) as r:
                    if r.status == 200 and r.read().strip() == b"LIVE":
                        return None
            except OSError:
                pass
            time.sleep(0.05)
        return None

    def restart(self) -> None:
        self.stop()
        self.restarts += 1
        with open(self.log_path, "ab") as f:
            f.write(b"\n===== harness: restarting Envoy (Wasm VM failure in the previous case) =====\n")
        self.start()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_offset(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def log_since(self, offset: int, limit: int = 12000) -> str:
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                text = f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""
        if len(text) > limit:
            text = f"... ({len(text) - limit} bytes cut) ...\n" + text[-limit:]
        return text

    def log_tail(self, limit: int = 6000) -> str:
        return f"--- {self.log_path} (tail) ---\n" + self.log_since(0, limit)


# --------------------------------------------------------------------------------------
# The client side
# --------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    client_port: int = 0  # our side of the connection: finds this request's access-log line

    def header_map(self) -> dict[str, list[str]]:
        return header_map(self.headers)


def compact_json(value) -> bytes:
    """`body` on the wire: compact, keys sorted, UTF-8 unescaped: the bytes serde_json's
    `to_vec(&Value)` gives, so the golden runner and this suite send the same request."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


def request_body(request: dict) -> bytes | None:
    if "body_text" in request:
        return request["body_text"].encode("utf-8")
    if "body" in request:
        return compact_json(request["body"])
    return None


def send(port: int, request: dict, timeout: float = 30) -> Response:
    """The case's request, as written: no Accept-Encoding or other header added by the client."""
    headers = {k.lower(): str(v) for k, v in (request.get("headers") or {}).items()}
    body = request_body(request)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.putrequest(request.get("method", "POST"), request.get("path", "/"),
                        skip_host="host" in headers, skip_accept_encoding=True)
        for k, v in headers.items():
            conn.putheader(k, v)
        if body is not None and "content-length" not in headers and "transfer-encoding" not in headers:
            conn.putheader("content-length", str(len(body)))
        conn.endheaders(body)
        client_port = conn.sock.getsockname()[1]
        r = conn.getresponse()
        data = r.read()
        return Response(r.status, [(k.lower(), v) for k, v in r.getheaders()], data, client_port)
    finally:
        conn.close()


@dataclass
class RawResponse:
    status: int
    headers: list[tuple[str, bytes]]  # lower-case names, values exactly as received
    body: bytes
    closed: bool  # the server ends the connection after this response

    def header(self, name: str) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)


class RawConnection:
    """HTTP/1.1 over one keep-alive connection, in bytes: the request target and header values
    go out exactly as given (http.client refuses a non-ASCII target and re-encodes values)."""

    def __init__(self, port: int, timeout: float = 15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.closed = False

    def request(self, method: bytes, target: bytes, headers: list[tuple[bytes, bytes]],
                body: bytes = b"") -> RawResponse:
        lines = [method + b" " + target + b" HTTP/1.1", b"host: gateway.local"]
        lines += [k + b": " + v for k, v in headers]
        lines.append(b"content-length: %d" % len(body))
        self.sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        r = http.client.HTTPResponse(self.sock, method=method.decode("ascii"))
        r.begin()
        data = r.read()
        # http.client decodes header bytes as Latin-1: encoding back gives the bytes received.
        headers_out = [(k.lower(), v.encode("latin-1")) for k, v in r.getheaders()]
        self.closed = bool(r.will_close)
        return RawResponse(r.status, headers_out, data, self.closed)

    def close(self) -> None:
        self.sock.close()


# --------------------------------------------------------------------------------------
# Comparisons (each returns readable text, never raises on a mismatch)
# --------------------------------------------------------------------------------------


def header_map(pairs) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in pairs:
        out.setdefault(k.lower(), []).append(v)
    return out


def _kind(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object"


def json_mismatch(expected, actual, path: str = "$") -> str | None:
    """First difference between two JSON values, strictly (true != 1, 1 != 1.0, like serde_json)."""
    ke, ka = _kind(expected), _kind(actual)
    if ke != ka:
        return f"{path}: expected {ke} {json.dumps(expected)[:200]}, got {ka} {json.dumps(actual)[:200]}"
    if ke == "object":
        for k in expected:
            if k not in actual:
                return f"{path}: missing key {k!r}"
        for k in actual:
            if k not in expected:
                return f"{path}: unexpected key {k!r} = {json.dumps(actual[k])[:200]}"
        for k in expected:
            m = json_mismatch(expected[k], actual[k], f"{path}.{k}")
            if m:
                return m
        return None
    if ke == "array":
        if len(expected) != len(actual):
            return f"{path}: expected {len(expected)} items, got {len(actual)}"
        for i, (e, a) in enumerate(zip(expected, actual)):
            m = json_mismatch(e, a, f"{path}[{i}]")
            if m:
                return m
        return None
    if expected != actual:
        return f"{path}: expected {json.dumps(expected)[:200]}, got {json.dumps(actual)[:200]}"
    return None


def _pretty(v) -> list[str]:
    return json.dumps(v, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def json_diff(expected, actual) -> str:
    return "\n".join(difflib.unified_diff(_pretty(expected), _pretty(actual), "expected", "actual", lineterm="", n=3))


def compare_json_body(what: str, expected, raw: bytes) -> list[str]:
    try:
        actual = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return [f"{what}: not JSON ({e}); got {len(raw)} bytes: {show_bytes(raw)}"]
    m = json_mismatch(expected, actual)
    if m is None:
        return []
    return [f"{what} differs at {m}\n{json_diff(expected, actual)}"]


def show_bytes(b: bytes, limit: int = 600) -> str:
    s = repr(b[:limit])
    return s + (f" ... (+{len(b) - limit} bytes)" if len(b) > limit else "")


def compare_bytes(what: str, expected: bytes, actual: bytes) -> list[str]:
    if expected == actual:
        return []
    i = next((i for i, (x, y) in enumerate(zip(expected, actual)) if x != y), min(len(expected), len(actual)))
    lo = max(0, i - 80)
    msg = (f"{what} differs at byte {i} (expected {len(expected)} bytes, got {len(actual)})\n"
           f"  expected[{lo}:]: {show_bytes(expected[lo:], 240)}\n"
           f"  actual[{lo}:]:   {show_bytes(actual[lo:], 240)}")
    el = expected.decode("utf-8", "replace").splitlines(keepends=True)
    al = actual.decode("utf-8", "replace").splitlines(keepends=True)
    if len(el) + len(al) < 400:
        diff = "".join(difflib.unified_diff([repr(x)[1:-1] + "\n" for x in el], [repr(x)[1:-1] + "\n" for x in al],
                                            "expected", "actual", n=2))
        msg += "\n" + diff
    return [msg]


def check_headers(what: str, expected: dict, headers: dict[str, list[str]]) -> list[str]:
    problems = []
    for name, want in (expected or {}).items():
        got = headers.get(name.lower())
        if not got:
            problems.append(f"{what}: header {name!r} missing (wanted {want!r})")
        elif len(got) > 1:
            problems.append(f"{what}: header {name!r} sent {len(got)} times: {got!r} (wanted once, {want!r})")
        elif got[0] != str(want):
            problems.append(f"{what}: header {name!r} is {got[0]!r}, wanted {want!r}")
    return problems


def check_upstream(case_upstream: dict | None, received: list[dict]) -> list[str]:
    """What the mock received against `upstream.expect` (or nothing, when `upstream` is absent)."""
    if case_upstream is None:
        if received:
            return ["upstream: the request must not reach the upstream (local reply expected), but the mock got:\n"
                    + "\n".join(describe_received(r) for r in received)]
        return []
    if len(received) != 1:
        return [f"upstream: expected exactly 1 upstream request, got {len(received)}"
                + "".join("\n" + describe_received(r) for r in received)]
    r = received[0]
    exp = case_upstream.get("expect") or {}
    hm = header_map(r["headers"])
    body = base64.b64decode(r["body_b64"])
    problems = []
    if "method" in exp and r["method"] != exp["method"]:
        problems.append(f"upstream: method is {r['method']!r}, wanted {exp['method']!r}")
    if "authority" in exp:
        hosts = hm.get("host", [])
        if hosts != [exp["authority"]]:
            problems.append(f"upstream: authority (host) is {hosts!r}, wanted {exp['authority']!r}")
    if "path" in exp and r["path"] != exp["path"]:
        problems.append(f"upstream: path is {r['path']!r}, wanted {exp['path']!r}")
    problems += check_headers("upstream", exp.get("headers"), hm)
    for name, options in (exp.get("headers_one_of") or {}).items():
        got = hm.get(name.lower())
        if not got or len(got) != 1 or got[0] not in options:
            problems.append(f"upstream: header {name!r} is {got!r}, wanted exactly one of {options!r}")
    for name in exp.get("absent_headers") or []:
        if name.lower() in hm:
            problems.append(f"upstream: header {name!r} must be absent, got {hm[name.lower()]!r}")
    if "body" in exp:
        problems += compare_json_body("upstream body", exp["body"], body)
    if "body_text" in exp:
        problems += compare_bytes("upstream body", exp["body_text"].encode("utf-8"), body)
    if problems:
        problems.append("upstream request as received:\n" + describe_received(r))
    return problems


_CREATED = re.compile(rb'"(created|created_at)":\d+')


def normalize_created(raw: bytes) -> bytes:
    """`"created":<digits>` (and `"created_at"`) -> 0: translated responses carry Envoy's clock."""
    return _CREATED.sub(lambda m: b'"' + m.group(1) + b'":0', raw)


_RANDOM_ID = re.compile(rb'(call_|chatcmpl-|msg_|rs_|fc_|resp_)[0-9a-f]{16}')


def normalize_random_ids(raw: bytes) -> bytes:
    """Ids made from the per-request random value (drawn by the filter in Envoy) -> zeros."""
    return _RANDOM_ID.sub(lambda m: m.group(1) + b"0" * 16, raw)


def check_response(expected: dict, resp: Response, normalize: list[str] | None = None) -> list[str]:
    problems = []
    if "status" in expected and resp.status != expected["status"]:
        problems.append(f"client: status is {resp.status}, wanted {expected['status']}")
    problems += check_headers("client", expected.get("headers"), resp.header_map())
    body = resp.body
    keys = normalize or []

    def norm(b: bytes) -> bytes:
        if "created" in keys:
            b = normalize_created(b)
        if "random_ids" in keys:
            b = normalize_random_ids(b)
        return b
    if "body" in expected:
        want = json.loads(norm(json.dumps(expected["body"], separators=(",", ":")).encode("utf-8")))
        problems += compare_json_body("client body", want, norm(body))
    if "body_text" in expected:
        problems += compare_bytes("client body", norm(expected["body_text"].encode("utf-8")), norm(body))
    if "error_type" in expected:
        problems += check_error_shape(expected["error_type"], resp.body)
    if problems:
        problems.append(f"client response as received: {resp.status} {resp.headers!r}\n  body: {show_bytes(resp.body)}")
    return problems


def check_error_shape(error_type: str, raw: bytes) -> list[str]:
    try:
        v = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        return [f"client body: an OpenAI error object was expected, got non-JSON ({e})"]
    err = v.get("error") if isinstance(v, dict) else None
    if not isinstance(err, dict):
        return [f'client body: expected {{"error": {{...}}}}, got {json.dumps(v)[:300]}']
    problems = []
    if not isinstance(err.get("message"), str) or not err.get("message"):
        problems.append(f"client body: error.message must be a non-empty string, got {json.dumps(err.get('message'))}")
    for key in ("param", "code"):
        if key not in err:
            problems.append(f"client body: error.{key} must be present (null allowed)")
    if err.get("type") != error_type:
        problems.append(f"client body: error.type is {json.dumps(err.get('type'))}, wanted {error_type!r}")
    return problems


def describe_received(r: dict) -> str:
    body = base64.b64decode(r["body_b64"])
    hs = "\n".join(f"    {k}: {v}" for k, v in r["headers"])
    return f"  {r['method']} {r['path']}\n{hs}\n  body ({len(body)} bytes): {show_bytes(body)}"


def vm_failure_lines(log_text: str) -> list[str]:
    return [line for line in log_text.splitlines() if any(m in line for m in VM_FAILURE_MARKERS)]


# --------------------------------------------------------------------------------------
# Running a case
# --------------------------------------------------------------------------------------


@dataclass
class Outcome:
    problems: list[str] = field(default_factory=list)
    response: Response | None = None
    received: list[dict] = field(default_factory=list)
    log: str = ""


def run_case(case: Case, chunking: str, mock: MockUpstream, envoy: Envoy, port: int) -> Outcome:
    data = case.data
    upstream = data.get("upstream")
    mock.arm(upstream.get("response") if upstream else None, chunking)
    offset = envoy.log_offset()
    out = Outcome()
    try:
        out.response = send(port, data.get("request") or {})
    except (OSError, http.client.HTTPException) as e:
        out.problems.append(f"client: request failed: {type(e).__name__}: {e}")
    out.received = mock.received()
    out.problems += check_upstream(upstream, out.received)
    if out.response is not None:
        out.problems += check_response(data.get("response") or {}, out.response, data.get("normalize"))
    if out.problems:
        time.sleep(0.05)  # let the access log line flush (--file-flush-interval-msec 20) for the report
    # A trap is logged (synchronously) before Envoy answers the request, so it is in the log now.
    out.log = envoy.log_since(offset)
    if out.response is not None:
        # Access lines are flushed late: keep only this request's (by our client port).
        mine = f" client=127.0.0.1:{out.response.client_port} "
        out.log = "".join(line for line in out.log.splitlines(keepends=True)
                          if not line.startswith("[access]") or mine in line)
    vm = vm_failure_lines(out.log)
    if vm:
        out.problems.insert(0, "Envoy: the Wasm VM failed during this case:\n  " + "\n  ".join(vm))
    return out


def format_failure(case: Case, chunking: str, out: Outcome, envoy: Envoy) -> str:
    lines = [f"case {case.id} [{chunking}] ({case.path}): {case.data.get('description', '')}"]
    lines += [f"- {p}" for p in out.problems]
    lines.append(f"--- Envoy log during this case ({envoy.log_path}) ---")
    lines.append(out.log.rstrip() or "(nothing)")
    return "\n".join(lines)
