"""The official SDKs as clients, through Envoy + ai-proxy, for each kind of provider.

For an OpenAI-wire provider (`deepseek`) and each translated one (`claude`, `gemini`, native
`qwen`), the mock answers in the provider's own format (samples.py: "Hi" as JSON, "Hello
world!" as a stream), and the client speaks each of the three client protocols with the SDK
people use for it: `openai` chat completions and Responses, `anthropic` Messages. The SDKs
parse the answers and the streamed events strictly (pydantic models, the Responses event
accumulator, the Messages stream helper), so a field or an event out of shape fails here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import anthropic  # the SDKs are in tests/e2e/requirements.txt
import openai
import pytest

import harness
from harness import Envoy, MockUpstream
from samples import CONFIGS, JSON_CT, MODELS, OK_JSON, PROVIDERS, SSE_CT, STREAM_EVENTS

MODULE = harness.module_under_test(harness.wasm_under_test())
pytestmark = pytest.mark.skipif(MODULE != "ai-proxy", reason="needs the ai-proxy module")


@dataclass
class Stack:
    mock: MockUpstream
    envoy: Envoy
    ports: dict[str, int]


@pytest.fixture(scope="module")
def stack(wasm_path, runtime_dir):
    mock = MockUpstream(runtime_dir / "mock-sdk.log")
    mock.start()
    admin, *ports = harness.free_ports(len(PROVIDERS) + 1)
    listeners = [harness.envoy_config.ListenerSpec(f"sdk_{p}", port, json.dumps(CONFIGS[p]))
                 for p, port in zip(PROVIDERS, ports)]
    doc = harness.envoy_config.bootstrap(listeners=listeners, wasm_path=str(wasm_path), upstream="mock",
                                         admin_port=admin, mock_port=mock.port)
    envoy = Envoy(doc, runtime_dir, "envoy-sdk", concurrency=int(os.environ.get("E2E_CONCURRENCY", "2")))
    envoy.start()
    offset = envoy.log_offset()
    yield Stack(mock, envoy, dict(zip(PROVIDERS, ports)))
    bad = harness.vm_failure_lines(envoy.log_since(offset, 10**7))
    envoy.stop()
    mock.stop()
    assert not bad, "the Wasm VM failed:\n" + "\n".join(bad)


def arm(st: Stack, provider: str, stream: bool) -> None:
    if stream:
        st.mock.arm({"status": 200, "headers": SSE_CT, "body_text": "".join(STREAM_EVENTS[provider])}, "per-event")
    else:
        st.mock.arm({"status": 200, "headers": JSON_CT, "body": OK_JSON[provider]})


def openai_client(st: Stack, provider: str):
    return openai.OpenAI(base_url=f"http://127.0.0.1:{st.ports[provider]}/v1", api_key="client-key", max_retries=0)


def anthropic_client(st: Stack, provider: str):
    return anthropic.Anthropic(base_url=f"http://127.0.0.1:{st.ports[provider]}", api_key="client-key", max_retries=0)


def upstream_got(st: Stack) -> dict:
    (got,) = st.mock.received()
    return got


@pytest.mark.parametrize("provider", PROVIDERS)
def test_openai_chat(stack, provider):
    client = openai_client(stack, provider)
    arm(stack, provider, stream=False)
    r = client.chat.completions.create(model=MODELS[provider], messages=[{"role": "user", "content": "Say hi"}])
    assert r.choices[0].message.content == "Hi"
    arm(stack, provider, stream=True)
    chunks = list(client.chat.completions.create(model=MODELS[provider], stream=True,
                                                 messages=[{"role": "user", "content": "Say hello"}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Hello world!"
    assert any(c.choices and c.choices[0].finish_reason == "stop" for c in chunks)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_openai_responses(stack, provider):
    client = openai_client(stack, provider)
    arm(stack, provider, stream=False)
    r = client.responses.create(model=MODELS[provider], instructions="Be brief.", input="Say hi", store=False)
    assert r.output_text == "Hi"
    assert r.status == "completed"
    body = json.loads(harness.base64.b64decode(upstream_got(stack)["body_b64"]))
    assert "instructions" not in body and "store" not in body, "a translated request must not carry Responses members"
    arm(stack, provider, stream=True)
    with client.responses.stream(model=MODELS[provider], input=[{"role": "user", "content": "Say hello"}]) as s:
        deltas = [e.delta for e in s if e.type == "response.output_text.delta"]
        final = s.get_final_response()
    assert "".join(deltas) == "Hello world!"
    assert final.output_text == "Hello world!"
    assert final.status == "completed"
    if provider != "deepseek":  # the deepseek sample stream has no usage chunk
        assert final.usage is not None and final.usage.input_tokens > 0


@pytest.mark.parametrize("provider", PROVIDERS)
def test_anthropic_messages(stack, provider):
    client = anthropic_client(stack, provider)
    arm(stack, provider, stream=False)
    m = client.messages.create(model="claude-sonnet-4-5", max_tokens=64, system="Be brief.",
                               messages=[{"role": "user", "content": "Say hi"}])
    assert m.content[0].type == "text" and m.content[0].text == "Hi"
    assert m.stop_reason == "end_turn"
    arm(stack, provider, stream=True)
    with client.messages.stream(model="claude-sonnet-4-5", max_tokens=64,
                                messages=[{"role": "user", "content": "Say hello"}]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text == "Hello world!"
    assert final.stop_reason == "end_turn"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_sdk_errors_are_typed(stack, provider):
    """A provider's 429 reaches each SDK as its rate-limit error, in the client's shape."""
    bodies = {
        "deepseek": {"error": {"message": "Rate limit reached", "type": "rate_limit_error", "param": None, "code": "rate_limit_exceeded"}},
        "claude": {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limit reached"}},
        "gemini": {"error": {"code": 429, "message": "Rate limit reached", "status": "RESOURCE_EXHAUSTED"}},
        "qwen": {"code": "Throttling.RateQuota", "message": "Rate limit reached", "request_id": "r1"},
    }
    for call, error in [
        (lambda: openai_client(stack, provider).responses.create(model=MODELS[provider], input="x"), openai.RateLimitError),
        (lambda: anthropic_client(stack, provider).messages.create(model="m", max_tokens=8,
                                                                   messages=[{"role": "user", "content": "x"}]),
         anthropic.RateLimitError),
    ]:
        stack.mock.arm({"status": 429, "headers": JSON_CT, "body": bodies[provider]})
        with pytest.raises(error) as e:
            call()
        assert "Rate limit reached" in str(e.value)
