"""Header bytes that are not UTF-8, through a real Envoy + ai-proxy.

HTTP/1.1 allows obs-text (0x80-0xFF) in header values and Envoy forwards it. proxy-wasm 0.2.5's
header decoder unwraps `String::from_utf8`, so one such byte used to trap the Wasm VM and every
later request on that worker got a bare 503. For a passthrough route (`deepseek`), each
translated route (`claude`, `gemini`, `qwen` native) and the Anthropic Messages ingress
(`messages`: `/v1/messages` in front of deepseek), with header values that are Latin-1, the
whole 0x80-0xFF range, invalid UTF-8 sequences, and (the control) valid UTF-8:

  * a header the filter does not read reaches the upstream byte for byte;
  * `authorization` / `x-api-key` are removed whatever their bytes (never reach the provider);
  * a `content-type` that is not UTF-8 is a 400 in the client's protocol, nothing goes upstream;
  * a request target that is not UTF-8 is a 400 (Envoy's own, or the filter's);
  * upstream response headers that are not UTF-8 reach the client untouched, and a response
    `content-type` that is not UTF-8 counts as absent (a JSON answer is still translated);

and after each, a normal request on the same connection (when Envoy kept it open) and on a new
one gets its answer: the VM is alive. No Wasm VM failure may appear in Envoy's log.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest

import harness
from harness import Envoy, MockUpstream, RawConnection
from samples import CONFIGS, JSON_CT, MODELS, OK_JSON, SSE_CT, STREAM_EVENTS

MODULE = harness.module_under_test(harness.wasm_under_test())
pytestmark = pytest.mark.skipif(MODULE != "ai-proxy", reason="needs the ai-proxy module")

# `messages`: an Anthropic Messages client in front of an OpenAI-wire provider.
ROUTES = ("deepseek", "claude", "gemini", "qwen", "messages")
UPSTREAM = {"deepseek": "deepseek", "claude": "claude", "gemini": "gemini", "qwen": "qwen", "messages": "deepseek"}

VARIANTS = {
    "latin1": b"caf\xe9",
    "all-high": bytes(range(0x80, 0x100)),
    # a bad continuation byte, a truncated 3-byte sequence, an overlong encoding, a surrogate
    "invalid-utf8": b"\xc3\x28 \xe2\x82 \xc0\xaf \xed\xa0\x80",
    # the control: high bytes that are valid UTF-8
    "utf8": "caf\u00e9 \u2615".encode(),
}
NOT_TEXT = ("latin1", "all-high", "invalid-utf8")


@dataclass
class Stack:
    mock: MockUpstream
    envoy: Envoy
    ports: dict[str, int]


@pytest.fixture(scope="module")
def stack(wasm_path, runtime_dir):
    mock = MockUpstream(runtime_dir / "mock-header-bytes.log")
    mock.start()
    kinds = sorted(set(UPSTREAM.values()))
    admin, *ports = harness.free_ports(len(kinds) + 1)
    listeners = [harness.envoy_config.ListenerSpec(f"bytes_{k}", port, json.dumps(CONFIGS[k]))
                 for k, port in zip(kinds, ports)]
    doc = harness.envoy_config.bootstrap(listeners=listeners, wasm_path=str(wasm_path), upstream="mock",
                                         admin_port=admin, mock_port=mock.port)
    envoy = Envoy(doc, runtime_dir, "envoy-header-bytes", concurrency=int(os.environ.get("E2E_CONCURRENCY", "2")))
    envoy.start()
    by_kind = dict(zip(kinds, ports))
    yield Stack(mock, envoy, {r: by_kind[UPSTREAM[r]] for r in ROUTES})
    envoy.stop()
    mock.stop()


def target(route: str) -> bytes:
    return b"/v1/messages" if route == "messages" else b"/v1/chat/completions"


def body(route: str, stream: bool = False) -> bytes:
    if route == "messages":
        doc = {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": [{"role": "user", "content": "Say hello"}]}
    else:
        doc = {"model": MODELS[route], "messages": [{"role": "user", "content": "Say hello"}]}
    if stream:
        doc["stream"] = True
    return json.dumps(doc).encode()


def headers(route: str, **extra: bytes) -> list[tuple[bytes, bytes]]:
    base = {b"content-type": b"application/json"}
    if route == "messages":
        base[b"anthropic-version"] = b"2023-06-01"
    base.update({k.replace("_", "-").encode(): v for k, v in extra.items()})
    return list(base.items())


def answer_text(route: str, raw: bytes) -> str:
    doc = json.loads(raw)
    if route == "messages":
        return doc["content"][0]["text"]
    return doc["choices"][0]["message"]["content"]


def arm_ok(st: Stack, route: str, extra_headers: dict[str, str] | None = None) -> None:
    st.mock.arm({"status": 200, "headers": {**JSON_CT, **(extra_headers or {})}, "body": OK_JSON[UPSTREAM[route]]})


def latin1(b: bytes) -> str:
    """The mock sends and records header values as Latin-1: one character per byte."""
    return b.decode("latin-1")


def describe(r) -> str:
    return f"{r.status} {r.headers!r}\n  body: {harness.show_bytes(r.body)}"


def answered_upstream(st: Stack, conn: RawConnection, route: str, **extra: bytes) -> dict:
    """A normal request with `extra` headers, answered "Hi": what the upstream received."""
    arm_ok(st, route)
    r = conn.request(b"POST", target(route), headers(route, **extra), body(route))
    assert r.status == 200 and answer_text(route, r.body) == "Hi", describe(r)
    (got,) = st.mock.received()
    return got


@pytest.fixture
def alive(stack):
    """After the test: a normal request on the test's connection (if Envoy kept it open) and
    on a new one get their answer, and Envoy's log shows no Wasm VM failure."""
    offset = stack.envoy.log_offset()
    opened: list[tuple[str, RawConnection]] = []

    def connect(route: str) -> RawConnection:
        c = RawConnection(stack.ports[route])
        opened.append((route, c))
        return c

    yield connect
    for route, conn in opened:
        reuse = [conn] if not conn.closed else []
        for c in reuse + [RawConnection(stack.ports[route])]:
            arm_ok(stack, route)
            r = c.request(b"POST", target(route), headers(route), body(route))
            assert r.status == 200 and answer_text(route, r.body) == "Hi", "follow-up request:\n" + describe(r)
            c.close()
    assert stack.envoy.alive(), "Envoy died\n" + stack.envoy.log_tail()
    bad = harness.vm_failure_lines(stack.envoy.log_since(offset, 400000))
    assert not bad, "the Wasm VM failed:\n" + "\n".join(bad)


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("route", ROUTES)
def test_unread_request_header_reaches_the_upstream_untouched(stack, alive, route, variant):
    value = VARIANTS[variant]
    got = answered_upstream(stack, alive(route), route, x_note=value)
    notes = [v for k, v in got["headers"] if k == "x-note"]
    assert notes == [latin1(value)], f"the upstream got x-note {notes!r}, wanted the client's bytes"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("route", ROUTES)
def test_client_credentials_are_removed_whatever_their_bytes(stack, alive, route, variant):
    value = VARIANTS[variant]
    got = answered_upstream(stack, alive(route), route, authorization=b"Bearer " + value, x_api_key=value)
    leaked = [(k, v) for k, v in got["headers"] if latin1(value) in v]
    assert not leaked, f"client credential bytes reached the provider: {leaked!r}"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("route", ROUTES)
def test_content_type_that_is_not_text_is_a_client_error(stack, alive, route, variant):
    value = VARIANTS[variant]
    arm_ok(stack, route)
    r = alive(route).request(b"POST", target(route),
                             headers(route, content_type=b"application/json; note=" + value), body(route))
    if variant not in NOT_TEXT:
        assert r.status == 200 and answer_text(route, r.body) == "Hi", describe(r)
        return
    assert r.status == 400, describe(r)
    err = json.loads(r.body)
    if route == "messages":
        assert err["type"] == "error" and err["error"]["type"] == "invalid_request_error", describe(r)
        message = err["error"]["message"]
    else:
        assert err["error"]["type"] == "invalid_request_error" and err["error"]["code"] == "invalid_header", describe(r)
        message = err["error"]["message"]
    assert message == "the content-type header is not valid UTF-8", describe(r)
    assert stack.mock.received() == [], "a request with an unreadable content-type must not go upstream"


@pytest.mark.parametrize("variant", NOT_TEXT)
@pytest.mark.parametrize("route", ROUTES)
def test_request_target_that_is_not_text_is_refused(stack, alive, route, variant):
    """Envoy 1.40 refuses bytes >= 0x80 in the request target itself (400, before any filter);
    either way the VM lives and nothing reaches the upstream."""
    arm_ok(stack, route)
    r = alive(route).request(b"POST", target(route) + b"?note=" + VARIANTS[variant], headers(route), body(route))
    assert r.status == 400, describe(r)
    assert stack.mock.received() == []


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("route", ROUTES)
def test_upstream_response_header_reaches_the_client_untouched(stack, alive, route, variant, stream):
    value = VARIANTS[variant]
    kind = UPSTREAM[route]
    if stream:
        stack.mock.arm({"status": 200, "headers": {**SSE_CT, "x-upstream-note": latin1(value)},
                        "body_text": "".join(STREAM_EVENTS[kind])}, "per-event")
    else:
        arm_ok(stack, route, {"x-upstream-note": latin1(value)})
    r = alive(route).request(b"POST", target(route), headers(route), body(route, stream))
    assert r.status == 200, describe(r)
    assert r.header("x-upstream-note") == value, describe(r)
    if not stream:
        assert answer_text(route, r.body) == "Hi", describe(r)
    elif route == "messages":
        assert b"event: message_stop" in r.body and b'"text":"Hello"' in r.body, describe(r)
    else:
        assert r.body.rstrip().endswith(b"data: [DONE]") and b'"content":"Hello"' in r.body, describe(r)


@pytest.mark.parametrize("variant", NOT_TEXT)
@pytest.mark.parametrize("route", ROUTES)
def test_upstream_content_type_that_is_not_text_counts_as_absent(stack, alive, route, variant):
    """A translated JSON answer whose content-type is not text is translated (no content
    type: not a stream); a passthrough answer is forwarded as it came."""
    ct = "application/json; charset=" + latin1(VARIANTS[variant])
    stack.mock.arm({"status": 200, "headers": {"content-type": ct}, "body": OK_JSON[UPSTREAM[route]]})
    r = alive(route).request(b"POST", target(route), headers(route), body(route))
    assert r.status == 200 and answer_text(route, r.body) == "Hi", describe(r)
    if route == "deepseek":
        assert r.header("content-type") == ct.encode("latin-1"), describe(r)
