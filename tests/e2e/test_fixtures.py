"""Every fixture case through a real Envoy running the module under test.

A case's request goes to the listener carrying its plugin config; the mock upstream replays
the case's upstream response (stream cases once per chunking mode) and records what it got.
Contract: tests/fixtures/README.md.
"""

from __future__ import annotations

import re

import pytest

import harness

WASM = harness.wasm_under_test()
MODULE = harness.module_under_test(WASM)
CASES = harness.load_cases()


def _marks(case):
    reason = harness.skip_reason_for(case, MODULE)
    return [pytest.mark.skip(reason=reason)] if reason else []


def _exchange_params():
    for case in CASES:
        if case.is_rejected_config:
            continue
        for chunking in case.chunkings:
            cid = f"{case.id}[{chunking}]" if case.is_stream else case.id
            yield pytest.param(case, chunking, id=cid, marks=_marks(case))


def _rejected_params():
    params = [pytest.param(case, id=case.id, marks=_marks(case)) for case in CASES if case.is_rejected_config]
    return params or [pytest.param(None, id="none", marks=pytest.mark.skip(reason="no config_error case"))]


@pytest.mark.parametrize(("case", "chunking"), list(_exchange_params()))
def test_exchange(case, chunking, mock, case_envoy):
    envoy = case_envoy.envoy
    if not envoy.alive():
        envoy.restart()
    out = harness.run_case(case, chunking, mock, envoy, case_envoy.port_for(case))
    vm_broke = bool(harness.vm_failure_lines(out.log))
    if not envoy.alive():
        out.problems.insert(0, f"Envoy exited (status {envoy.proc.returncode if envoy.proc else '?'}) during this case")
    if vm_broke or not envoy.alive():
        envoy.restart()  # so the next cases don't inherit a trapped VM
    if out.problems:
        pytest.fail(harness.format_failure(case, chunking, out, envoy), pytrace=False)


@pytest.mark.parametrize("case", list(_rejected_params()))
def test_rejected_config(case, wasm_path, runtime_dir):
    """Envoy must refuse a config the plugin rejects, and the log must name the bad field."""
    admin, port = harness.free_ports(2)
    doc = harness.envoy_config.bootstrap(
        listeners=[harness.envoy_config.ListenerSpec("rejected", port, case.plugin_config)],
        wasm_path=str(wasm_path), upstream="mock", admin_port=admin, mock_port=9)
    envoy = harness.Envoy(doc, runtime_dir, "rejected-" + re.sub(r"[^A-Za-z0-9_.-]", "_", case.id))
    try:
        rc = envoy.wait_exit(timeout=60)
    finally:
        envoy.stop()
    log = envoy.log_since(0, limit=20000)
    problems = []
    if rc is None:
        problems.append("Envoy started and served with this plugin config; it must refuse it")
    elif rc == 0:
        problems.append("Envoy exited with status 0; a refused config must make it fail")
    if harness.CONFIG_REJECTED_MARKER not in log:
        problems.append(f"Envoy's log lacks {harness.CONFIG_REJECTED_MARKER!r}")
    for needle in case.config_errors:
        if needle not in log:
            problems.append(f"Envoy's log does not name {needle!r} (config_error)")
    if not case.config_errors:
        problems.append("config_error must name at least one field path")
    if problems:
        pytest.fail(f"case {case.id}: {case.data.get('description', '')}\n"
                    + "\n".join(f"- {p}" for p in problems)
                    + f"\n--- Envoy log ({envoy.log_path}) ---\n{log}", pytrace=False)
