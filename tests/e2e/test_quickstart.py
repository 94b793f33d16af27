"""The quickstart (what `make run` and docker-compose serve): OpenAI calls through Envoy + the
module under test reach the echo mock and come back. The README's curl examples are these."""

from __future__ import annotations

import json

import pytest

import harness


@pytest.fixture
def echo(mock, case_envoy):
    mock.reset()  # echo mode
    yield case_envoy.extra_ports["quickstart"]
    mock.reset()


def _post(port, path, body):
    return harness.send(port, {"method": "POST", "path": path,
                               "headers": {"content-type": "application/json", "authorization": "Bearer anything"},
                               "body": body})


def test_chat(echo, mock):
    r = _post(echo, "/v1/chat/completions",
              {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}]})
    assert r.status == 200, f"{r.status} {r.body[:500]!r}"
    body = json.loads(r.body)
    assert body["choices"][0]["message"]["content"] == "echo: hello there", body
    got = mock.received()
    assert len(got) == 1 and got[0]["path"].endswith("/chat/completions"), got


def test_chat_stream(echo):
    r = _post(echo, "/v1/chat/completions",
              {"model": "gpt-4o-mini", "stream": True, "messages": [{"role": "user", "content": "one two"}]})
    assert r.status == 200, f"{r.status} {r.body[:500]!r}"
    assert r.header_map().get("content-type", [""])[0].startswith("text/event-stream"), r.headers
    events = [e for e in r.body.decode().split("\n\n") if e.strip()]
    assert events[-1] == "data: [DONE]", events[-3:]
    text = "".join((json.loads(e[len("data: "):])["choices"] or [{}])[0].get("delta", {}).get("content") or ""
                   for e in events[:-1])
    assert text == "echo: one two", events


def test_embeddings(echo):
    r = _post(echo, "/v1/embeddings", {"model": "text-embedding-3-small", "input": ["a", "b"]})
    assert r.status == 200, f"{r.status} {r.body[:500]!r}"
    body = json.loads(r.body)
    assert [d["index"] for d in body["data"]] == [0, 1] and len(body["data"][0]["embedding"]) == 8, body
