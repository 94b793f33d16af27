"""The filter's 10 MiB request-body limit through a real Envoy.

Envoy must be able to buffer a body just over the limit (the bootstrap's
per_connection_buffer_limit_bytes is 32 MiB), so the filter itself answers 413 with an
OpenAI error, and a body just under the limit reaches the upstream intact."""

from __future__ import annotations

import http.client
import json

import pytest

import harness

MODULE = harness.module_under_test(harness.wasm_under_test())
pytestmark = pytest.mark.skipif(MODULE != "ai-proxy", reason="needs the ai-proxy module")

LIMIT = 10 * 1024 * 1024
OK = {"status": 200, "headers": {"content-type": "application/json"},
      "body": {"id": "c", "object": "chat.completion", "created": 1, "model": "gpt-4o",
               "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}}


def chat_body(size: int) -> bytes:
    """A valid chat request of exactly `size` bytes."""
    head, tail = b'{"model":"gpt-4o","messages":[{"role":"user","content":"', b'"}]}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def post_chunked(port: int, body: bytes, piece: int = 256 * 1024) -> harness.Response:
    """No content-length: the filter only learns the size from the body callbacks."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.putrequest("POST", "/v1/chat/completions", skip_accept_encoding=True)
        conn.putheader("content-type", "application/json")
        conn.putheader("transfer-encoding", "chunked")
        conn.endheaders()
        for i in range(0, len(body), piece):
            part = body[i:i + piece]
            conn.send(b"%x\r\n%s\r\n" % (len(part), part))
        conn.send(b"0\r\n\r\n")
        r = conn.getresponse()
        return harness.Response(r.status, [(k.lower(), v) for k, v in r.getheaders()], r.read())
    finally:
        conn.close()


def _expect_413(r: harness.Response, mock) -> None:
    problems = harness.check_response({"status": 413, "error_type": "invalid_request_error"}, r)
    problems += harness.check_upstream(None, mock.received())
    assert not problems, "\n".join(problems)


def test_over_limit_with_content_length(mock, case_envoy):
    """content-length over the limit: 413 from the headers alone, before any body byte is sent."""
    mock.arm(None)
    conn = http.client.HTTPConnection("127.0.0.1", case_envoy.extra_ports["quickstart"], timeout=30)
    try:
        conn.putrequest("POST", "/v1/chat/completions", skip_accept_encoding=True)
        conn.putheader("content-type", "application/json")
        conn.putheader("content-length", str(LIMIT + 1))
        conn.endheaders()
        r = conn.getresponse()
        resp = harness.Response(r.status, [(k.lower(), v) for k, v in r.getheaders()], r.read())
    finally:
        conn.close()
    _expect_413(resp, mock)


def test_over_limit_chunked(mock, case_envoy):
    mock.arm(None)
    _expect_413(post_chunked(case_envoy.extra_ports["quickstart"], chat_body(LIMIT + 64 * 1024)), mock)


def test_just_under_limit_reaches_upstream(mock, case_envoy):
    mock.arm(OK)
    body = chat_body(LIMIT - 1024)
    r = post_chunked(case_envoy.extra_ports["quickstart"], body)
    assert r.status == 200, f"{r.status} {r.body[:300]!r}"
    got = mock.received()
    assert len(got) == 1, f"{len(got)} upstream requests"
    sent = harness.base64.b64decode(got[0]["body_b64"])
    assert json.loads(sent) == json.loads(body), f"upstream body differs ({len(sent)} vs {len(body)} bytes)"
