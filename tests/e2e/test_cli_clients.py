"""Real CLI clients through Envoy + ai-proxy: Codex CLI (OpenAI Responses) and Claude Code
(Anthropic Messages), headless, pinned in tests/e2e/clients/package-lock.json and installed by
scripts/install-clients.sh (make e2e runs it).

Each runs against an OpenAI-wire provider (deepseek, the mock in echo mode: it repeats the last
user message) and against Gemini (the mock answers a Gemini stream: "Hello world!"), so both
the one-step translation and the chained one (client protocol → chat → Gemini) are driven by
the clients themselves; the upstream requests are checked for what the provider must (not) get.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

import harness
from harness import Envoy, MockUpstream
from samples import SSE_CT, STREAM_EVENTS

MODULE = harness.module_under_test(harness.wasm_under_test())
pytestmark = pytest.mark.skipif(MODULE != "ai-proxy", reason="needs the ai-proxy module")

BIN = Path(__file__).resolve().parent / "clients" / "node_modules" / ".bin"
CONFIGS = {
    "deepseek": {"provider": {"type": "deepseek", "apiTokens": ["sk-ds"], "modelMapping": {"*": "deepseek-chat"}}},
    "gemini": {"provider": {"type": "gemini", "apiTokens": ["AIza-test"], "modelMapping": {"*": "gemini-2.5-flash"}}},
}


@dataclass
class Stack:
    mock: MockUpstream
    envoy: Envoy
    ports: dict[str, int]
    home: Path


@pytest.fixture(scope="module")
def stack(wasm_path, runtime_dir, tmp_path_factory):
    for name in ("codex", "claude"):
        if not (BIN / name).exists():
            pytest.fail(f"{BIN / name} is missing: run scripts/install-clients.sh (make e2e does)", pytrace=False)
    mock = MockUpstream(runtime_dir / "mock-cli.log")
    mock.start()
    admin, *ports = harness.free_ports(len(CONFIGS) + 1)
    listeners = [harness.envoy_config.ListenerSpec(f"cli_{p}", port, json.dumps(cfg))
                 for (p, cfg), port in zip(CONFIGS.items(), ports)]
    doc = harness.envoy_config.bootstrap(listeners=listeners, wasm_path=str(wasm_path), upstream="mock",
                                         admin_port=admin, mock_port=mock.port)
    envoy = Envoy(doc, runtime_dir, "envoy-cli", concurrency=int(os.environ.get("E2E_CONCURRENCY", "2")))
    envoy.start()
    offset = envoy.log_offset()
    yield Stack(mock, envoy, dict(zip(CONFIGS, ports)), tmp_path_factory.mktemp("cli-home"))
    bad = harness.vm_failure_lines(envoy.log_since(offset, 10**7))
    envoy.stop()
    mock.stop()
    assert not bad, "the Wasm VM failed:\n" + "\n".join(bad)


def arm_gemini(st: Stack) -> None:
    st.mock.arm({"status": 200, "headers": SSE_CT, "body_text": "".join(STREAM_EVENTS["gemini"])}, "per-event")


def bodies(st: Stack) -> list[dict]:
    return [json.loads(base64.b64decode(r["body_b64"])) for r in st.mock.received()]


def run(cmd: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, env={**os.environ, **env}, capture_output=True, text=True, timeout=180, cwd=cwd,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 0, f"{cmd[0]} exited {r.returncode}\nstdout: {r.stdout[-3000:]}\nstderr: {r.stderr[-3000:]}"
    return r


def codex(st: Stack, provider: str, prompt: str) -> str:
    home = st.home / f"codex-{provider}"
    home.mkdir(exist_ok=True)
    (home / "config.toml").write_text(
        'model = "gpt-5"\nmodel_provider = "gateway"\n[model_providers.gateway]\nname = "gateway"\n'
        f'base_url = "http://127.0.0.1:{st.ports[provider]}/v1"\nwire_api = "responses"\nenv_key = "GATEWAY_KEY"\n')
    r = run([str(BIN / "codex"), "exec", "--skip-git-repo-check", prompt],
            {"CODEX_HOME": str(home), "GATEWAY_KEY": "client-key"}, st.home)
    return r.stdout


def claude(st: Stack, provider: str, prompt: str) -> dict:
    home = st.home / f"claude-{provider}"
    home.mkdir(exist_ok=True)
    r = run([str(BIN / "claude"), "-p", prompt, "--output-format", "json"],
            {"HOME": str(home), "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{st.ports[provider]}",
             "ANTHROPIC_API_KEY": "client-key", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
             "DISABLE_AUTOUPDATER": "1"}, st.home)
    return json.loads(r.stdout.strip().splitlines()[-1])


def test_codex_to_an_openai_wire_provider(stack):
    stack.mock.reset()
    out = codex(stack, "deepseek", "Say hello to the gateway")
    assert "echo: Say hello to the gateway" in out, out
    (body,) = bodies(stack)
    roles = [m["role"] for m in body["messages"]]
    assert "developer" not in roles and roles[0] == "system", roles
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    names = [t["function"]["name"] for t in body["tools"]]
    assert "exec_command" in names and any("__" in n for n in names), names
    for gone in ("input", "instructions", "store", "include", "client_metadata", "reasoning"):
        assert gone not in body, gone


def test_codex_to_gemini(stack):
    arm_gemini(stack)
    out = codex(stack, "gemini", "Say hello")
    assert "Hello world!" in out, out
    (body,) = bodies(stack)
    assert "contents" in body and "systemInstruction" in body and "messages" not in body


def test_claude_code_to_an_openai_wire_provider(stack):
    stack.mock.reset()
    result = claude(stack, "deepseek", "Say hello to the gateway")
    assert result["is_error"] is False and "Say hello to the gateway" in result["result"], result
    received = stack.mock.received()
    assert all("?" not in r["path"] for r in received), "Claude Code's ?beta=true must not reach the provider"
    for body in bodies(stack):
        assert body["messages"][0]["role"] == "system"
        assert "cache_control" not in json.dumps(body), "deepseek does not document cache_control"


def test_claude_code_to_gemini(stack):
    arm_gemini(stack)
    result = claude(stack, "gemini", "Say hello")
    assert result["is_error"] is False and result["result"] == "Hello world!", result
    for body in bodies(stack):
        assert "contents" in body and "messages" not in body
