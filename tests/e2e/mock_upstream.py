#!/usr/bin/env python3
"""Mock LLM upstream for ai-proxy's end-to-end tests and local demos (stdlib only).

Two modes in one server:

* Echo mode (the default, and whenever nothing is armed): answers like a small OpenAI
  server, good enough for `make run` and docker-compose demos.
    POST .../chat/completions  echoes the last user message; `"stream": true` gives SSE,
                               one chunk per word, then `data: [DONE]`
    POST .../embeddings        small deterministic vectors
    GET  .../models            a model list
  Every echo answer carries `x-echo-authority`, `x-echo-path` and `x-echo-model` response
  headers showing what the upstream received, so a curl through Envoy shows the
  filter's rewrite.

* Fixture mode, driven by the e2e harness through a control API on the same port:
    POST /__arm       {"response": {status, headers, body | body_text} | null,
                       "chunking": "whole" | "per-event" | "every-7-bytes" | "byte-by-byte",
                       "delay_ms": 0}
                      clears the record and replays `response` to every following request
                      (null: the case expects no upstream request; answer 500 if one comes)
    POST /__reset     clears the record and goes back to echo mode
    GET  /__received  JSON list of the requests received since the last arm/reset:
                      {"method", "path" (with query), "headers": [[lower-case name, value]...],
                       "body_b64"}
    GET  /__health    "ok"
  `/__arm` also takes an optional `"fault"`, for the fault tests (tests/e2e/test_faults.py):
    {"kind": "reset"}   read the request, then reset the connection (RST) before any response
    {"kind": "close"}   read the request, then close the connection (FIN) before any response
    {"kind": "hang", "hang_ms": 30000}
                        read the request and never answer; ends when the peer closes (e.g.
                        Envoy's route timeout) or after hang_ms
    {"kind": "cut", "after_bytes": N, "framing": "chunked" | "close" | "length",
     "end": "close" | "reset" | "hang", "hang_ms": 30000}
                        send `response`'s status and headers and the first N bytes of its body,
                        flushed, then end as `end` says. `framing`: chunked transfer encoding
                        (the close is a premature end: no last chunk), no length and
                        `connection: close` (the close is the body's normal end, HTTP/1.0
                        style), or a content-length for the whole body (premature end).
  Header values are sent and recorded as Latin-1, one character per byte (U+0000-U+00FF), so
  a test can send and check any byte (`"caf\u00e9"` is the bytes `caf\xe9`).
  `body` is sent as compact JSON (keys sorted) with a content-length; `body_text` is sent byte-exact with
  chunked transfer encoding, split per the chunking mode, each chunk flushed on its own
  (TCP_NODELAY) with a short pause so Envoy sees separate body callbacks.

Usage: mock_upstream.py [--host 127.0.0.1] [--port 8000]   (port 0: pick a free port)
The first line printed on stdout is `mock-upstream listening on HOST:PORT`.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import select
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNKINGS = ("whole", "per-event", "every-7-bytes", "byte-by-byte")
# Pause after each flushed chunk, per mode (seconds). Small: the suite replays every stream
# case in every mode.
PAUSES = {"whole": 0.0, "per-event": 0.002, "every-7-bytes": 0.0005, "byte-by-byte": 0.0002}
# Byte-by-byte replay covers at most this many leading bytes; the rest goes in one chunk.
BYTE_BY_BYTE_LIMIT = 1536

_EVENT_END = re.compile(rb"\r\n\r\n|\n\n|\r\r")


def split_body(data: bytes, chunking: str) -> list[bytes]:
    """Split a replayed body into the chunks the mock writes one by one."""
    if chunking == "whole" or not data:
        return [data] if data else []
    if chunking == "per-event":
        chunks, start = [], 0
        for m in _EVENT_END.finditer(data):
            chunks.append(data[start : m.end()])
            start = m.end()
        if start < len(data):
            chunks.append(data[start:])
        return chunks
    if chunking == "every-7-bytes":
        return [data[i : i + 7] for i in range(0, len(data), 7)]
    if chunking == "byte-by-byte":
        head = data[:BYTE_BY_BYTE_LIMIT]
        chunks = [head[i : i + 1] for i in range(len(head))]
        if len(data) > BYTE_BY_BYTE_LIMIT:
            chunks.append(data[BYTE_BY_BYTE_LIMIT:])
        return chunks
    raise ValueError(f"unknown chunking mode {chunking!r}")


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.armed = False
        self.response: dict | None = None
        self.chunking = "whole"
        self.delay = 0.0
        self.fault: dict | None = None
        self.received: list[dict] = []


STATE = State()


def _compact(value) -> bytes:
    # Keys sorted: the bytes serde_json's `to_vec(&Value)` gives, as in the golden runner.
    return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-upstream/1"
    sys_version = ""

    # Quiet by default; --verbose turns the one-line request log back on.
    verbose = False

    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        if self.verbose:
            sys.stderr.write("mock-upstream: " + (format % args) + "\n")

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    # ---- request plumbing -------------------------------------------------------------

    def _read_body(self) -> bytes:
        te = (self.headers.get("transfer-encoding") or "").lower()
        if "chunked" in te:
            parts = []
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    break
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    # trailers, up to the blank line
                    while True:
                        t = self.rfile.readline(65537)
                        if t in (b"\r\n", b"\n", b""):
                            break
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline(3)  # CRLF after the chunk
            return b"".join(parts)
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, value, extra: list[tuple[str, str]] = ()) -> None:
        self._send(status, [("content-type", "application/json"), *extra], _compact(value))

    def _send_chunked(self, status: int, headers: list[tuple[str, str]], chunks: list[bytes], pause: float) -> None:
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        for chunk in chunks:
            if not chunk:
                continue
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.flush()
            if pause:
                time.sleep(pause)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _handle(self) -> None:
        body = self._read_body()
        path = self.path
        if path.startswith("/__"):
            self._control(path, body)
            return
        record = {
            "method": self.command,
            "path": path,
            "headers": [[k.lower(), v] for k, v in self.headers.items()],
            "body_b64": base64.b64encode(body).decode("ascii"),
        }
        with STATE.lock:
            STATE.received.append(record)
            armed, response, chunking, delay = STATE.armed, STATE.response, STATE.chunking, STATE.delay
            fault = STATE.fault
        try:
            if armed and fault:
                self._fault(fault, response)
            elif armed:
                if delay:
                    time.sleep(delay)  # e.g. to trip the upstream timeout the filter sets
                self._replay(response, chunking)
            else:
                self._echo(path, body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # Envoy gave up on us (timeout, reset): fine

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    # ---- control API ------------------------------------------------------------------

    def _control(self, path: str, body: bytes) -> None:
        if path == "/__health":
            self._send(200, [("content-type", "text/plain")], b"ok")
        elif path == "/__arm" and self.command == "POST":
            spec = json.loads(body or b"{}")
            chunking = spec.get("chunking", "whole")
            if chunking not in CHUNKINGS:
                self._send_json(400, {"error": f"unknown chunking {chunking!r}"})
                return
            fault = spec.get("fault")
            problem = _fault_problem(fault)
            if problem:
                self._send_json(400, {"error": problem})
                return
            with STATE.lock:
                STATE.armed = True
                STATE.response = spec.get("response")
                STATE.chunking = chunking
                STATE.delay = float(spec.get("delay_ms", 0)) / 1000.0
                STATE.fault = fault
                STATE.received = []
            self._send_json(200, {"armed": True})
        elif path == "/__reset" and self.command == "POST":
            with STATE.lock:
                STATE.armed = False
                STATE.response = None
                STATE.chunking = "whole"
                STATE.delay = 0.0
                STATE.fault = None
                STATE.received = []
            self._send_json(200, {"armed": False})
        elif path == "/__received" and self.command == "GET":
            with STATE.lock:
                received = list(STATE.received)
            self._send_json(200, received)
        else:
            self._send_json(404, {"error": f"unknown control path {path}"})

    # ---- fixture mode -----------------------------------------------------------------

    def _replay(self, response: dict | None, chunking: str) -> None:
        if response is None:
            self._send_json(500, {"error": {"message": "mock upstream: this case expects no upstream request",
                                            "type": "mock_unexpected_request"}})
            return
        status = int(response.get("status", 200))
        headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()
                   if k.lower() not in ("content-length", "transfer-encoding", "connection")]
        if "body_text" in response:
            data = response["body_text"].encode("utf-8")
            self._send_chunked(status, headers, split_body(data, chunking), PAUSES[chunking])
        elif "body" in response:
            self._send(status, headers, _compact(response["body"]))
        else:
            self._send(status, headers, b"")

    # ---- faults (see the module documentation) ------------------------------------------

    def _reset(self) -> None:
        """Abortive close: SO_LINGER 0 makes close() send an RST instead of a FIN."""
        self.close_connection = True
        sock = self.connection
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # detach(): close the descriptor now, whatever rfile/wfile still reference.
            os.close(sock.detach())
        except OSError:
            pass

    def _hang(self, limit_ms: float) -> None:
        """Wait, sending nothing, until the peer closes the connection or `limit_ms` passes."""
        self.close_connection = True
        deadline = time.monotonic() + limit_ms / 1000.0
        while time.monotonic() < deadline:
            try:
                ready, _, _ = select.select([self.connection], [], [], 0.2)
                if ready and not self.connection.recv(4096):
                    return  # the peer closed
            except OSError:
                return

    def _fault(self, fault: dict, response: dict | None) -> None:
        kind = fault["kind"]
        if kind == "reset":
            self._reset()
        elif kind == "close":
            self.close_connection = True  # the server closes (FIN) after this handler
        elif kind == "hang":
            self._hang(float(fault.get("hang_ms", 30000)))
        elif kind == "cut":
            response = response or {}
            if "body_text" in response:
                data = response["body_text"].encode("utf-8")
            elif "body" in response:
                data = _compact(response["body"])
            else:
                data = b""
            prefix = data[: int(fault.get("after_bytes", len(data) // 2))]
            framing = fault.get("framing", "chunked")
            self.send_response(int(response.get("status", 200)))
            for k, v in (response.get("headers") or {}).items():
                if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(k, str(v))
            if framing == "chunked":
                self.send_header("transfer-encoding", "chunked")
            elif framing == "length":
                self.send_header("content-length", str(len(data)))
            else:  # close-delimited body
                self.send_header("connection", "close")
            self.end_headers()
            self.wfile.flush()
            if prefix:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(prefix), prefix) if framing == "chunked" else prefix)
                self.wfile.flush()
            time.sleep(0.05)  # let Envoy forward the prefix on its own before the end
            end = fault.get("end", "close")
            if end == "reset":
                self._reset()
            elif end == "hang":
                self._hang(float(fault.get("hang_ms", 30000)))
            else:
                self.close_connection = True

    # ---- echo mode --------------------------------------------------------------------

    def _echo(self, path: str, body: bytes) -> None:
        route = path.split("?", 1)[0].rstrip("/")
        try:
            req = json.loads(body) if body else {}
        except ValueError:
            req = None
        model = req.get("model", "mock-model") if isinstance(req, dict) else "mock-model"
        info = [("x-echo-authority", self.headers.get("host", "")),
                ("x-echo-path", path),
                ("x-echo-model", str(model))]
        if route.endswith("/chat/completions") and self.command == "POST":
            if not isinstance(req, dict):
                self._send_json(400, {"error": {"message": "request body is not a JSON object",
                                                "type": "invalid_request_error", "param": None, "code": None}}, info)
                return
            self._echo_chat(req, str(model), info)
        elif route.endswith("/embeddings") and self.command == "POST":
            inputs = req.get("input", "") if isinstance(req, dict) else ""
            if not isinstance(inputs, list):
                inputs = [inputs]
            data = [{"object": "embedding", "index": i,
                     "embedding": [round(((len(str(x)) * 31 + i * 7 + j * 13) % 97) / 97.0, 6) for j in range(8)]}
                    for i, x in enumerate(inputs)]
            tokens = sum(len(str(x).split()) for x in inputs)
            self._send_json(200, {"object": "list", "data": data, "model": model,
                                  "usage": {"prompt_tokens": tokens, "total_tokens": tokens}}, info)
        elif route.endswith("/models") and self.command == "GET":
            self._send_json(200, {"object": "list", "data": [
                {"id": m, "object": "model", "created": 1700000000, "owned_by": "mock"}
                for m in ("gpt-4o", "gpt-4o-mini", "text-embedding-3-small")]}, info)
        else:
            self._send_json(404, {"error": {"message": f"mock upstream: no echo route for {self.command} {path}",
                                            "type": "invalid_request_error", "param": None, "code": "not_found"}}, info)

    def _echo_chat(self, req: dict, model: str, info: list[tuple[str, str]]) -> None:
        text = ""
        for msg in reversed(req.get("messages") or []):
            if isinstance(msg, dict) and msg.get("role") == "user":
                content = msg.get("content")
                if isinstance(content, list):
                    content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
                text = str(content or "")
                break
        reply = f"echo: {text}" if text else "echo: (no user message)"
        created = int(time.time())
        prompt_tokens = sum(len(str(m.get("content", "")).split()) for m in req.get("messages") or []
                            if isinstance(m, dict))
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(reply.split()),
                 "total_tokens": prompt_tokens + len(reply.split())}
        if req.get("stream") is True:
            base = {"id": "chatcmpl-echo", "object": "chat.completion.chunk", "created": created, "model": model}
            events = [dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""},
                                           "finish_reason": None}])]
            words = reply.split(" ")
            for i, word in enumerate(words):
                piece = word if i == 0 else " " + word
                events.append(dict(base, choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}]))
            events.append(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
            if (req.get("stream_options") or {}).get("include_usage"):
                events.append(dict(base, choices=[], usage=usage))
            chunks = [b"data: " + _compact(e) + b"\n\n" for e in events] + [b"data: [DONE]\n\n"]
            self._send_chunked(200, [("content-type", "text/event-stream"), ("cache-control", "no-cache"), *info],
                               chunks, 0.02)
            return
        self._send_json(200, {
            "id": "chatcmpl-echo", "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": usage,
        }, info)


FAULT_KINDS = ("reset", "close", "hang", "cut")


def _fault_problem(fault) -> str | None:
    """Why an `/__arm` fault spec is unusable, or None."""
    if fault is None:
        return None
    if not isinstance(fault, dict) or fault.get("kind") not in FAULT_KINDS:
        return f"fault must be an object with kind one of {FAULT_KINDS}, not {fault!r}"
    if fault.get("framing", "chunked") not in ("chunked", "close", "length"):
        return f"unknown fault framing {fault.get('framing')!r}"
    if fault.get("end", "close") not in ("close", "reset", "hang"):
        return f"unknown fault end {fault.get('end')!r}"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = ap.parse_args(argv)
    Handler.verbose = args.verbose
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    host, port = server.server_address[:2]
    print(f"mock-upstream listening on {host}:{port}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
