"""Session plumbing for the real-Envoy e2e suite.

Environment:
  AI_PROXY_WASM        module under test (default dist/plugin.wasm, what `make build` ships)
  AI_PROXY_E2E_MODULE  ai-proxy | noop (default: noop if the file name says so). Cases run only
                       with the module they name in `e2e_module` (default ai-proxy); the
                       `_harness` cases test this harness with the no-op filter.
  AI_PROXY_FIXTURES    fixtures root (default tests/fixtures)
  ENVOY_BIN            envoy binary (default .venv/bin/envoy, then PATH)
  E2E_CONCURRENCY      Envoy worker threads, each with its own VM copy (default 2, as in production)
  E2E_ENVOY_LOG_LEVEL  Envoy's log level (default warning)
  E2E_WASM_LOG_LEVEL   level of the `wasm` component, i.e. the filter's own log (default info)
"""

from __future__ import annotations

import os

import pytest

import harness
from harness import Case, Envoy, MockUpstream

WASM = harness.wasm_under_test()
MODULE = harness.module_under_test(WASM)
CASES = harness.load_cases()


def pytest_report_header(config):
    return [f"ai-proxy e2e: module {MODULE} = {WASM}", f"envoy: {harness.envoy_binary()}",
            f"fixtures: {len(CASES)} cases under {harness.FIXTURES}"]


@pytest.fixture(scope="session")
def wasm_path():
    if not WASM.exists():
        pytest.fail(f"Wasm module {WASM} does not exist: build it first (make build), or set AI_PROXY_WASM",
                    pytrace=False)
    return WASM


@pytest.fixture(scope="session")
def runtime_dir():
    d = harness.RUNTIME / MODULE
    d.mkdir(parents=True, exist_ok=True)
    for old in d.glob("*.log"):
        old.unlink()
    return d


@pytest.fixture(scope="session")
def mock(runtime_dir):
    m = MockUpstream(runtime_dir / "mock.log")
    m.start()
    yield m
    m.stop()


# Listeners beside the fixture cases', for the hand-written tests (name -> plugin config text).
EXTRA_LISTENERS = {
    # what `make run` and docker-compose serve; also test_quickstart.py and test_body_limits.py
    "quickstart": harness.envoy_config.read_plugin_config(harness.envoy_config.QUICKSTART),
}


class CaseEnvoy:
    """The shared Envoy: one listener per distinct plugin config, all on one Wasm VM."""

    def __init__(self, envoy: Envoy, ports: dict[str, int], extra_ports: dict[str, int]):
        self.envoy = envoy
        self.ports = ports
        self.extra_ports = extra_ports

    def port_for(self, case: Case) -> int:
        return self.ports[case.plugin_config]


@pytest.fixture(scope="session")
def case_envoy(wasm_path, mock, runtime_dir):
    configs = sorted({c.plugin_config for c in CASES if harness.skip_reason_for(c, MODULE) is None and not c.is_rejected_config})
    admin, *ports = harness.free_ports(len(configs) + len(EXTRA_LISTENERS) + 1)
    extra_ports = dict(zip(EXTRA_LISTENERS, ports[len(configs):]))
    listeners = [harness.envoy_config.ListenerSpec(name, extra_ports[name], text)
                 for name, text in EXTRA_LISTENERS.items()]
    listeners += [harness.envoy_config.ListenerSpec(f"case_{i}", port, cfg)
                  for i, (cfg, port) in enumerate(zip(configs, ports))]
    doc = harness.envoy_config.bootstrap(listeners=listeners, wasm_path=str(wasm_path), upstream="mock",
                                         admin_port=admin, mock_port=mock.port)
    envoy = Envoy(doc, runtime_dir, "envoy-cases", concurrency=int(os.environ.get("E2E_CONCURRENCY", "2")))
    try:
        envoy.start()
    except RuntimeError as e:
        pytest.fail(f"the shared Envoy ({len(listeners)} listeners) did not start:\n{e}", pytrace=False)
    yield CaseEnvoy(envoy, dict(zip(configs, ports)), extra_ports)
    envoy.stop()
