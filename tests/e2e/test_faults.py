"""Upstream faults through a real Envoy + ai-proxy, each with a defined client outcome.

For an OpenAI-wire provider (`deepseek`, passthrough) and each translated provider (`claude`,
`gemini`, `qwen` native), the mock upstream (tests/e2e/mock_upstream.py, `fault` in `/__arm`)
answers with:

  * the provider's own error body at 500 / 503 / 429 (and Anthropic's 529);
  * a connection reset (RST) or close (FIN) before any response;
  * a stream cut in the middle: part of an SSE stream, then the connection ends;
  * nothing at all (a dedicated Envoy with a 1 s route timeout);
  * a 200 whose body is not JSON, a 200 SSE whose body is not SSE, an HTML 502 page;
  * a non-streamed body cut or stalled after half of it;
  * responses without a body (empty chunked body, or content-length: 0).

Outcomes (each test's docstring has its own):

  * Error statuses keep their status (Anthropic 529 -> 503). Translated providers answer an
    OpenAI error body `{"error":{"message","type","param","code"}}`; deepseek's bytes pass
    through untouched.
  * Envoy's own local replies (503 on reset, 504 on the route timeout) are OpenAI error bodies
    for every client: the HCM's `local_reply_config` (envoy_config.local_reply_config) turns
    Envoy's text into `{"error":{"message":<Envoy's text>,"type":"api_error","code":<details>}}`,
    which passthrough clients get as it is and translated clients through the filter's error
    translation. That also covers the reply Envoy sends past the filter when it fails while the
    filter holds a translated response's headers.
  * A stream whose connection ends *cleanly* mid-event (close-delimited body: the close is the
    end of the message) ends, for translated providers, with `data: {"error":...}` then
    `data: [DONE]`; passthrough gives exactly the bytes sent.
  * A stream whose connection ends *prematurely* (chunked without the last chunk, or an RST)
    is an upstream reset for Envoy: the response has started, so Envoy resets the downstream
    stream; the client receives the events translated so far and then a truncated chunked
    body (no error event, no `[DONE]`: the filter is not called again, nothing can be
    written). Same when the route timeout fires after the response started.
  * A translated response that ends with its headers (content-length: 0) is answered from the
    headers phase (it used to hang, or give an empty stream).
  * After every fault the Wasm VM is intact: no trap in Envoy's log and the next normal
    request through the same listener works.

"""

from __future__ import annotations

import http.client
import json
import os
import time
from dataclasses import dataclass

import pytest

import harness
from harness import Envoy, MockUpstream

MODULE = harness.module_under_test(harness.wasm_under_test())
pytestmark = pytest.mark.skipif(MODULE != "ai-proxy", reason="needs the ai-proxy module")

from samples import (
    CONFIGS, JSON_CT, MODELS, OK_JSON, PROVIDERS, SSE_CT, STREAM_EVENTS, TRANSLATED,
)

# How many events carry "Hello" (complete events up to and including it): a boundary cut there
# leaves "Hello" delivered; a mid-event cut lands in the next event's JSON (" world").
HELLO_EVENTS = {"deepseek": 2, "claude": 3, "gemini": 1, "qwen": 1}

# Each provider's own error bodies, and the OpenAI error a translated provider must answer.
# (status sent, body sent, status expected, {"message","type","code"} expected; None for deepseek: passthrough)
ERRORS = {
    "deepseek": {
        "500": (500, '{"error": {"message": "Internal server error", "type": "server_error", "param": null, '
                     '"code": "internal_error"}}', 500, None),
        "503": (503, '{"error":{"message":"Server overloaded, please retry shortly.","type":"server_error",'
                     '"param":null,"code":"server_busy"}}', 503, None),
        "429": (429, '{"error":{"message":"Rate limit reached for requests","type":"rate_limit_error",'
                     '"param":null,"code":"rate_limit_exceeded"}}', 429, None),
    },
    "claude": {
        "500": (500, '{"type":"error","error":{"type":"api_error","message":"Internal server error"},'
                     '"request_id":"req_011"}', 500,
                {"message": "Internal server error", "type": "api_error", "code": None}),
        "503": (503, '{"type":"error","error":{"type":"api_error","message":"Service unavailable"}}', 503,
                {"message": "Service unavailable", "type": "api_error", "code": None}),
        "529": (529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},'
                     '"request_id":"req_012"}', 503,
                {"message": "Overloaded", "type": "api_error", "code": "overloaded"}),
        "429": (429, '{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has '
                     'exceeded your per-minute rate limit"}}', 429,
                {"message": "Number of request tokens has exceeded your per-minute rate limit",
                 "type": "rate_limit_error", "code": None}),
    },
    "gemini": {
        "500": (500, '{\n  "error": {\n    "code": 500,\n    "message": "An internal error has occurred.",\n'
                     '    "status": "INTERNAL"\n  }\n}\n', 500,
                {"message": "An internal error has occurred.", "type": "api_error", "code": "internal"}),
        "503": (503, '{"error":{"code":503,"message":"The model is overloaded. Please try again later.",'
                     '"status":"UNAVAILABLE"}}', 503,
                {"message": "The model is overloaded. Please try again later.", "type": "api_error",
                 "code": "unavailable"}),
        "429": (429, '{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota).",'
                     '"status":"RESOURCE_EXHAUSTED"}}', 429,
                {"message": "Resource has been exhausted (e.g. check quota).", "type": "rate_limit_error",
                 "code": "resource_exhausted"}),
    },
    "qwen": {
        "500": (500, '{"code":"InternalError","message":"An internal error has occured, please try again later or '
                     'contact service support.","request_id":"b1e2"}', 500,
                {"message": "An internal error has occured, please try again later or contact service support.",
                 "type": "api_error", "code": "InternalError"}),
        "503": (503, '{"code":"ServiceUnavailable","message":"The service is temporarily unavailable.",'
                     '"request_id":"b1e3"}', 503,
                {"message": "The service is temporarily unavailable.", "type": "api_error",
                 "code": "ServiceUnavailable"}),
        "429": (429, '{"code":"Throttling.RateQuota","message":"Requests rate limit exceeded, please try again '
                     'later.","request_id":"b1e4"}', 429,
                {"message": "Requests rate limit exceeded, please try again later.", "type": "rate_limit_error",
                 "code": "Throttling.RateQuota"}),
    },
}

# What a translated 200 that is not JSON becomes (ProxyError::bad_upstream in each dialect).
BAD_200_MESSAGE = {
    "claude": "the upstream response is not a valid Anthropic message",
    "gemini": "the upstream response is not a valid Gemini response",
    "qwen": "the upstream response is not a valid DashScope response",
}
HTML_PAGE = ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1>"
             "</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
HTML_CT = {"content-type": "text/html; charset=utf-8"}


def openai_error(message: str, kind: str, code) -> bytes:
    """The bytes the filter writes: `{"error":{"message","type","param":null,"code"}}`, compact."""
    return json.dumps({"error": {"message": message, "type": kind, "param": None, "code": code}},
                      separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def assert_envoy_error(got, message_start: str, code_start: str | None) -> None:
    """Envoy's own local reply, shaped by local_reply_config: an OpenAI error whose message is
    Envoy's text and whose code is Envoy's response code details. Through a translated route
    the filter's error translation keeps the message and drops the code (`code_start` None)."""
    assert got.ct() == "application/json", got.describe()
    err = json.loads(got.body)["error"]
    assert err["type"] == "api_error" and err["message"].startswith(message_start), got.describe()
    if code_start is None:
        assert err["code"] is None, got.describe()
    else:
        assert err["code"].startswith(code_start), got.describe()


def generic_error(status: int) -> bytes:
    """A translated error whose body said nothing readable (Envoy's text, an HTML page)."""
    return openai_error(f"upstream error (HTTP {status})", "api_error", None)


# --------------------------------------------------------------------------------------
# Processes: one mock, one Envoy (60 s route timeout), one Envoy with a 1 s route timeout
# --------------------------------------------------------------------------------------


@dataclass
class Stack:
    mock: MockUpstream
    envoy: Envoy
    ports: dict[str, int]


def _start_stack(wasm_path, runtime_dir, mock, name: str, route_timeout: str | None) -> Stack:
    admin, *ports = harness.free_ports(len(PROVIDERS) + 1)
    listeners = [harness.envoy_config.ListenerSpec(f"fault_{p}", port,
                                                   json.dumps(CONFIGS[p], separators=(",", ":")), route_timeout)
                 for p, port in zip(PROVIDERS, ports)]
    doc = harness.envoy_config.bootstrap(listeners=listeners, wasm_path=str(wasm_path), upstream="mock",
                                         admin_port=admin, mock_port=mock.port)
    envoy = Envoy(doc, runtime_dir, name, concurrency=int(os.environ.get("E2E_CONCURRENCY", "2")))
    envoy.start()
    return Stack(mock, envoy, dict(zip(PROVIDERS, ports)))


@pytest.fixture(scope="module")
def fault_mock(runtime_dir):
    m = MockUpstream(runtime_dir / "mock-faults.log")
    m.start()
    yield m
    m.stop()


@pytest.fixture(scope="module")
def stack(wasm_path, runtime_dir, fault_mock):
    s = _start_stack(wasm_path, runtime_dir, fault_mock, "envoy-faults", None)
    yield s
    s.envoy.stop()


@pytest.fixture(scope="module")
def timeout_stack(wasm_path, runtime_dir, fault_mock):
    """A dedicated Envoy whose routes time out after 1 s."""
    s = _start_stack(wasm_path, runtime_dir, fault_mock, "envoy-faults-timeout", "1s")
    yield s
    s.envoy.stop()


# --------------------------------------------------------------------------------------
# The client
# --------------------------------------------------------------------------------------


@dataclass
class Got:
    status: int | None  # None: the connection ended before a status line
    headers: dict[str, str]
    body: bytes  # everything received, also when the body was cut
    # complete | truncated (body framing not finished) | reset | no-response | client-timeout
    ending: str
    seconds: float = 0.0

    def ct(self) -> str:
        return self.headers.get("content-type", "")

    def describe(self) -> str:
        return f"{self.status} {self.ending} {self.headers!r}\n  body: {harness.show_bytes(self.body, 1500)}"


def call(port: int, provider: str, stream: bool, timeout: float = 20) -> Got:
    body = {"model": MODELS[provider], "messages": [{"role": "user", "content": "Say hello"}]}
    if stream:
        body["stream"] = True
    data = json.dumps(body).encode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    t0 = time.monotonic()
    try:
        conn.request("POST", "/v1/chat/completions", body=data,
                     headers={"content-type": "application/json", "authorization": "Bearer client-key"})
        try:
            r = conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            return Got(None, {}, b"", "no-response", time.monotonic() - t0)
        except TimeoutError:
            return Got(None, {}, b"", "client-timeout", time.monotonic() - t0)
        headers = {k.lower(): v for k, v in r.getheaders()}
        parts, ending = [], "complete"
        while True:
            try:
                b = r.read1(65536)
            except http.client.IncompleteRead as e:
                parts.append(e.partial)
                ending = "truncated"
                break
            except ConnectionResetError:
                ending = "reset"
                break
            except TimeoutError:
                ending = "client-timeout"
                break
            if not b:
                if r.length:  # content-length not reached
                    ending = "truncated"
                break
            parts.append(b)
        return Got(r.status, headers, b"".join(parts), ending, time.monotonic() - t0)
    finally:
        conn.close()


def sse_events(body: bytes) -> list[str]:
    """The `data:` payloads of an OpenAI SSE body (what the filter writes: `data: X\\n\\n`)."""
    out = []
    for block in body.decode("utf-8").split("\n\n"):
        if not block.strip():
            continue
        assert block.startswith("data: "), f"not an OpenAI SSE event: {block!r}"
        out.append(block[len("data: "):])
    return out


def streamed_text(events: list[str]) -> str:
    text = ""
    for e in events:
        v = json.loads(e)
        assert v.get("object") == "chat.completion.chunk", f"not a chat chunk: {e}"
        for c in v.get("choices") or []:
            text += (c.get("delta") or {}).get("content") or ""
    return text


@pytest.fixture
def vm_guard(request):
    """After the test: no Wasm VM failure in the log of the Envoy(s) the test used, and a normal
    request through the same listener still works (the filter did not wedge or trap)."""
    used: list[tuple[Stack, str]] = []
    offsets = {}

    def use(stack_: Stack, provider: str) -> int:
        if id(stack_.envoy) not in offsets:
            offsets[id(stack_.envoy)] = (stack_.envoy, stack_.envoy.log_offset())
        used.append((stack_, provider))
        return stack_.ports[provider]

    yield use
    for st, provider in used:
        st.mock.arm({"status": 200, "headers": JSON_CT, "body": OK_JSON[provider]})
        r = call(st.ports[provider], provider, stream=False)
        assert r.status == 200 and r.ending == "complete", f"follow-up request after the fault:\n{r.describe()}"
        assert json.loads(r.body)["choices"][0]["message"]["content"] == "Hi", r.describe()
    for envoy, offset in offsets.values():
        assert envoy.alive(), "Envoy died\n" + envoy.log_tail()
        bad = harness.vm_failure_lines(envoy.log_since(offset, 200000))
        assert not bad, "the Wasm VM failed:\n" + "\n".join(bad)


def assert_no_upstream_leak(provider: str, got: Got, sent: bytes) -> None:
    """A translated client never sees the provider's own bytes."""
    if provider in TRANSLATED and len(sent) > 20:
        for needle in (b"<html", b'"request_id"', b'"type":"error"', b'"status":"', b"event:", b"id:1"):
            if needle in sent:
                assert needle not in got.body, f"upstream bytes {needle!r} leaked to the client:\n{got.describe()}"


# --------------------------------------------------------------------------------------
# Upstream error statuses with the provider's own error bodies
# --------------------------------------------------------------------------------------

ERROR_CASES = [(p, k) for p in PROVIDERS for k in ERRORS[p]]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("provider,key", ERROR_CASES, ids=[f"{p}-{k}" for p, k in ERROR_CASES])
def test_upstream_error_status(stack, vm_guard, provider, key, stream):
    """500/503/429 (+ Anthropic 529) with the provider's error body: same status (529 -> 503);
    translated -> the OpenAI error body below, exactly; deepseek -> the upstream bytes."""
    status, body_text, want_status, want = ERRORS[provider][key]
    port = vm_guard(stack, provider)
    stack.mock.arm({"status": status, "headers": JSON_CT, "body_text": body_text})
    got = call(port, provider, stream)
    assert len(stack.mock.received()) == 1, "exactly one upstream attempt (no retry)"
    assert got.status == want_status and got.ending == "complete", got.describe()
    if want is None:
        assert got.body == body_text.encode(), "passthrough must be byte-identical\n" + got.describe()
    else:
        assert got.ct() == "application/json", got.describe()
        assert got.body == openai_error(want["message"], want["type"], want["code"]), got.describe()
        assert_no_upstream_leak(provider, got, body_text.encode())


# --------------------------------------------------------------------------------------
# Connection reset / closed by the upstream before any response
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("kind", ["reset", "close"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_connection_dropped_before_response(stack, vm_guard, provider, kind, stream):
    """RST or FIN before the status line -> Envoy's 503 (`upstream connect error or
    disconnect/reset before headers`). Translated: that local reply goes through the filter's
    error translation -> 503 OpenAI error with Envoy's message. deepseek: Envoy's text as an
    OpenAI error with Envoy's details as the code (local_reply_config)."""
    port = vm_guard(stack, provider)
    stack.mock.arm(None, fault={"kind": kind})
    got = call(port, provider, stream)
    assert got.status == 503 and got.ending == "complete", got.describe()
    assert_envoy_error(got, "upstream connect error or disconnect/reset before headers",
                       None if provider in TRANSLATED else "upstream_reset_before_response_started")


# --------------------------------------------------------------------------------------
# A stream cut in the middle
# --------------------------------------------------------------------------------------


def _stream_response(provider: str) -> tuple[dict, bytes]:
    text = "".join(STREAM_EVENTS[provider])
    return {"status": 200, "headers": SSE_CT, "body_text": text}, text.encode("utf-8")


def _cut_point(provider: str, where: str) -> int:
    events = [e.encode() for e in STREAM_EVENTS[provider]]
    boundary = sum(len(e) for e in events[:HELLO_EVENTS[provider]])
    if where == "boundary":
        return boundary
    nxt = events[HELLO_EVENTS[provider]]
    return boundary + nxt.index(b"data:") + 20  # inside the next event's JSON


@pytest.mark.parametrize("where", ["boundary", "mid-event"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_ends_cleanly_mid_stream(stack, vm_guard, provider, where):
    """Close-delimited SSE body (no length, `connection: close`): the close is the end of the
    message, so the filter sees end_of_stream. Translated: the events so far ("Hello"), then
    `data: {"error":{...api_error...}}` and `data: [DONE]` (message: `upstream stream ended
    early` after a whole event, `upstream stream event is not valid JSON` inside one).
    deepseek: exactly the bytes sent."""
    port = vm_guard(stack, provider)
    response, full = _stream_response(provider)
    cut = _cut_point(provider, where)
    stack.mock.arm(response, fault={"kind": "cut", "after_bytes": cut, "framing": "close", "end": "close"})
    got = call(port, provider, stream=True)
    assert got.status == 200 and got.ending == "complete", got.describe()
    if provider not in TRANSLATED:
        assert got.body == full[:cut], got.describe()
        return
    assert got.ct().startswith("text/event-stream"), got.describe()
    events = sse_events(got.body)
    assert events[-1] == "[DONE]", got.describe()
    message = "upstream stream ended early" if where == "boundary" else "upstream stream event is not valid JSON"
    assert events[-2].encode() == openai_error(message, "api_error", None), got.describe()
    assert streamed_text(events[:-2]) == "Hello", got.describe()
    assert_no_upstream_leak(provider, got, full)


@pytest.mark.parametrize("end", ["close", "reset"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_connection_lost_mid_event(stack, vm_guard, provider, end):
    """Chunked SSE cut inside an event, then FIN (no last chunk) or RST: for Envoy an upstream
    reset after the response started, so it resets the downstream stream. What the client gets
    (Envoy's behaviour, documented): status 200, the events translated so far, then a chunked
    body that never finishes (`truncated`), no error event and no `[DONE]` (the filter gets no
    further callback that could write one). deepseek: exactly the bytes sent before the cut."""
    port = vm_guard(stack, provider)
    response, full = _stream_response(provider)
    cut = _cut_point(provider, "mid-event")
    stack.mock.arm(response, fault={"kind": "cut", "after_bytes": cut, "framing": "chunked", "end": end})
    got = call(port, provider, stream=True)
    assert got.status == 200, got.describe()
    assert got.ending in ("truncated", "reset"), got.describe()
    if provider not in TRANSLATED:
        assert full.startswith(got.body) and got.body == full[:cut], got.describe()
        return
    events = sse_events(got.body)
    assert "[DONE]" not in events, got.describe()
    assert streamed_text(events) == "Hello", got.describe()
    assert_no_upstream_leak(provider, got, full)


# Envoy answers itself, *bypassing the filter chain*, when the upstream fails after the filter
# has taken the response headers and is holding them (ResponseMode::Buffer: every translated
# non-SSE answer): FilterManager::sendLocalReply sees that response headers already entered
# the encoder filters and sends a "direct" local reply to the codec. The filter never sees it;
# local_reply_config (envoy_config.local_reply_config) is what makes that reply an OpenAI error.


@pytest.mark.parametrize("provider", PROVIDERS)
def test_json_body_ends_early(stack, vm_guard, provider):
    """A non-streamed answer whose close-delimited body ends after half of it (the close is the
    end of the message): translated -> 502 OpenAI `api_error` / `bad_upstream_response` (half a
    body is not JSON); deepseek -> 200 with the half body."""
    port = vm_guard(stack, provider)
    full = harness.compact_json(OK_JSON[provider])
    cut = len(full) // 2
    stack.mock.arm({"status": 200, "headers": JSON_CT, "body": OK_JSON[provider]},
                   fault={"kind": "cut", "after_bytes": cut, "framing": "close", "end": "close"})
    got = call(port, provider, stream=False)
    assert got.ending == "complete", got.describe()
    if provider not in TRANSLATED:
        assert got.status == 200 and got.body == full[:cut], got.describe()
        return
    assert got.status == 502, got.describe()
    assert got.body == openai_error(BAD_200_MESSAGE[provider], "api_error", "bad_upstream_response"), got.describe()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_json_body_connection_lost(stack, vm_guard, provider):
    """A non-streamed answer with a content-length, cut after half of it (premature close =
    upstream reset). deepseek: headers already went to the client -> 200 and a truncated body.
    Translated: the filter was holding the headers (Buffer mode), so Envoy can still answer:
    it sends 502 `upstream connect error or disconnect/reset before headers. reset reason:
    protocol error`, past the filter, as an OpenAI error (local_reply_config)."""
    port = vm_guard(stack, provider)
    full = harness.compact_json(OK_JSON[provider])
    cut = len(full) // 2
    stack.mock.arm({"status": 200, "headers": JSON_CT, "body": OK_JSON[provider]},
                   fault={"kind": "cut", "after_bytes": cut, "framing": "length", "end": "close"})
    got = call(port, provider, stream=False)
    if provider not in TRANSLATED:
        assert got.status == 200 and got.body == full[:cut] and got.ending == "truncated", got.describe()
        return
    assert got.status == 502 and got.ending == "complete", got.describe()
    assert_envoy_error(got, "upstream connect error or disconnect/reset before headers",
                       "upstream_reset_after_response_started")


# --------------------------------------------------------------------------------------
# An upstream that never answers: the route timeout (1 s, dedicated Envoy)
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_upstream_never_answers(timeout_stack, vm_guard, provider, stream):
    """No response at all -> Envoy's route timeout (1 s) -> 504 after ~1 s. Translated: the
    local reply becomes the OpenAI error `upstream request timeout`; deepseek the same with
    Envoy's details (`response_timeout`) as the code (local_reply_config)."""
    port = vm_guard(timeout_stack, provider)
    timeout_stack.mock.arm(None, fault={"kind": "hang", "hang_ms": 15000})
    got = call(port, provider, stream)
    assert got.status == 504 and got.ending == "complete", got.describe()
    assert 0.9 <= got.seconds < 5, f"answered after {got.seconds:.2f} s"
    assert_envoy_error(got, "upstream request timeout", None if provider in TRANSLATED else "response_timeout")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_stream_stalls_mid_stream(timeout_stack, vm_guard, provider):
    """Headers and the first events, then silence: the route timeout fires after the response
    started, so Envoy resets the downstream stream (it cannot send a 504 any more). The client
    gets status 200, the events translated so far ("Hello") and a truncated body, no `[DONE]`."""
    port = vm_guard(timeout_stack, provider)
    response, full = _stream_response(provider)
    cut = _cut_point(provider, "boundary")
    timeout_stack.mock.arm(response, fault={"kind": "cut", "after_bytes": cut, "framing": "chunked",
                                            "end": "hang", "hang_ms": 15000})
    got = call(port, provider, stream=True)
    assert got.status == 200 and got.ending in ("truncated", "reset"), got.describe()
    assert 0.9 <= got.seconds < 5, f"ended after {got.seconds:.2f} s"
    if provider not in TRANSLATED:
        assert got.body == full[:cut], got.describe()
        return
    events = sse_events(got.body)
    assert "[DONE]" not in events and streamed_text(events) == "Hello", got.describe()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_json_body_stalls(timeout_stack, vm_guard, provider):
    """A non-streamed answer: headers and half the body, then silence -> the route timeout (1 s).
    deepseek: the headers went out already -> Envoy resets the downstream stream: 200 and a
    truncated body. Translated: the filter holds the headers, so Envoy can still answer 504.
    It does so past the filter: 504 `upstream request timeout` as an OpenAI error
    (local_reply_config)."""
    port = vm_guard(timeout_stack, provider)
    full = harness.compact_json(OK_JSON[provider])
    cut = len(full) // 2
    timeout_stack.mock.arm({"status": 200, "headers": JSON_CT, "body": OK_JSON[provider]},
                           fault={"kind": "cut", "after_bytes": cut, "framing": "length", "end": "hang",
                                  "hang_ms": 15000})
    got = call(port, provider, stream=False)
    assert 0.9 <= got.seconds < 5, f"ended after {got.seconds:.2f} s"
    if provider not in TRANSLATED:
        assert got.status == 200 and got.body == full[:cut] and got.ending in ("truncated", "reset"), \
            got.describe()
        return
    assert got.status == 504 and got.ending == "complete", got.describe()
    assert_envoy_error(got, "upstream request timeout", "response_timeout")


# --------------------------------------------------------------------------------------
# Responses without a body
# --------------------------------------------------------------------------------------

# When the upstream response ends with its headers (content-length: 0, 204), Envoy calls the
# filter's on_http_response_headers with end_of_stream = true and no body callback follows.
# (status, stream request, expected status, expected body for a translated provider)
EMPTY_CASES = [
    (429, False, 429, openai_error("upstream error (HTTP 429)", "rate_limit_error", None)),
    (429, True, 429, openai_error("upstream error (HTTP 429)", "rate_limit_error", None)),
    (503, False, 503, generic_error(503)),
    (200, False, 502, None),  # None: the dialect's bad_upstream error (BAD_200_MESSAGE)
]


def _empty_expected(provider: str, want_body) -> bytes:
    return want_body if want_body is not None else \
        openai_error(BAD_200_MESSAGE[provider], "api_error", "bad_upstream_response")


@pytest.mark.parametrize("status,stream,want_status,want_body", EMPTY_CASES,
                         ids=[f"{c[0]}-{'stream' if c[1] else 'json'}" for c in EMPTY_CASES])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_empty_chunked_body(stack, vm_guard, provider, status, stream, want_status, want_body):
    """An empty body sent as chunked (a body callback with end_of_stream comes): translated ->
    the error body as for any unreadable body (429/503 keep their status, an empty 200 is 502
    `bad_upstream_response`); deepseek -> same status, empty body."""
    port = vm_guard(stack, provider)
    stack.mock.arm({"status": status, "headers": JSON_CT, "body_text": ""})
    got = call(port, provider, stream, timeout=5)
    if provider not in TRANSLATED:
        assert got.status == status and got.body == b"" and got.ending == "complete", got.describe()
        return
    assert got.status == want_status and got.ending == "complete", got.describe()
    assert got.body == _empty_expected(provider, want_body), got.describe()


@pytest.mark.parametrize("status,stream,want_status,want_body", EMPTY_CASES,
                         ids=[f"{c[0]}-{'stream' if c[1] else 'json'}" for c in EMPTY_CASES])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_response_without_body(stack, vm_guard, provider, status, stream, want_status, want_body):
    """The same answers with `content-length: 0` (headers end the response): the outcome of
    test_empty_chunked_body. No body callback comes, so the filter answers from the headers
    phase (a hang before that fix; the client here gives up after 2 s)."""
    port = vm_guard(stack, provider)
    stack.mock.arm({"status": status, "headers": JSON_CT})  # no body: content-length: 0
    got = call(port, provider, stream, timeout=2)
    if provider not in TRANSLATED:
        assert got.status == status and got.body == b"" and got.ending == "complete", got.describe()
        return
    assert got.status == want_status and got.ending == "complete", got.describe()
    assert got.body == _empty_expected(provider, want_body), got.describe()


EMPTY_SSE_CASES = [pytest.param(p, f, id=f"{p}-{f}") for p in PROVIDERS for f in ("chunked", "headers-only")]


@pytest.mark.parametrize("provider,framing", EMPTY_SSE_CASES)
def test_empty_sse_200(stack, vm_guard, provider, framing):
    """200 `text/event-stream` with no events. CORRECT (asserted): translated -> `data:
    {"error": upstream stream ended early}` then `data: [DONE]`; deepseek -> empty body.
    Chunked or headers-only (content-length: 0, answered from the headers phase)."""
    port = vm_guard(stack, provider)
    stack.mock.arm({"status": 200, "headers": SSE_CT, **({"body_text": ""} if framing == "chunked" else {})})
    got = call(port, provider, stream=True, timeout=5)
    assert got.status == 200 and got.ending == "complete", got.describe()
    if provider not in TRANSLATED:
        assert got.body == b"", got.describe()
        return
    assert got.body == b"data: " + openai_error("upstream stream ended early", "api_error", None) \
        + b"\n\ndata: [DONE]\n\n", got.describe()


# --------------------------------------------------------------------------------------
# Bodies that are not what the provider promises
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_non_json_200(stack, vm_guard, provider, stream):
    """200 with an HTML body (not SSE, so buffered even for a stream request): translated ->
    502 OpenAI `api_error`, code `bad_upstream_response`; deepseek -> passthrough, 200, same bytes."""
    port = vm_guard(stack, provider)
    stack.mock.arm({"status": 200, "headers": HTML_CT, "body_text": HTML_PAGE})
    got = call(port, provider, stream)
    assert got.ending == "complete", got.describe()
    if provider not in TRANSLATED:
        assert got.status == 200 and got.body == HTML_PAGE.encode(), got.describe()
        return
    assert got.status == 502 and got.ct() == "application/json", got.describe()
    assert got.body == openai_error(BAD_200_MESSAGE[provider], "api_error", "bad_upstream_response"), got.describe()
    assert_no_upstream_leak(provider, got, HTML_PAGE.encode())


@pytest.mark.parametrize("provider", TRANSLATED)
def test_sse_200_that_is_not_sse(stack, vm_guard, provider):
    """200 `text/event-stream` whose body is an HTML page: nothing in it is an event, so the
    translated stream is just the error `upstream stream ended early` and `[DONE]`; none of the
    page reaches the client."""
    port = vm_guard(stack, provider)
    stack.mock.arm({"status": 200, "headers": SSE_CT, "body_text": HTML_PAGE})
    got = call(port, provider, stream=True)
    assert got.status == 200 and got.ending == "complete", got.describe()
    assert got.body == b"data: " + openai_error("upstream stream ended early", "api_error", None) \
        + b"\n\ndata: [DONE]\n\n", got.describe()


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_html_error_page(stack, vm_guard, provider, stream):
    """An HTML 502 page (a proxy in front of the provider): same status; translated -> OpenAI
    error `upstream error (HTTP 502)`, `api_error`; deepseek -> the page, byte for byte."""
    port = vm_guard(stack, provider)
    stack.mock.arm({"status": 502, "headers": HTML_CT, "body_text": HTML_PAGE})
    got = call(port, provider, stream)
    assert got.status == 502 and got.ending == "complete", got.describe()
    if provider not in TRANSLATED:
        assert got.body == HTML_PAGE.encode(), got.describe()
        return
    assert got.ct() == "application/json", got.describe()
    assert got.body == generic_error(502), got.describe()
    assert_no_upstream_leak(provider, got, HTML_PAGE.encode())
