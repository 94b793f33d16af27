"""The Envoy configs users read (config-examples/envoy/) are the tested ones, and Envoy accepts them."""

from __future__ import annotations

import subprocess

import pytest

import harness

EXAMPLES = sorted(harness.envoy_config.example_files())


def test_examples_up_to_date():
    stale = [name for name, text in harness.envoy_config.example_files().items()
             if not (harness.envoy_config.EXAMPLES_DIR / name).exists()
             or (harness.envoy_config.EXAMPLES_DIR / name).read_text(encoding="utf-8") != text]
    assert not stale, f"config-examples/envoy/{stale} differ from tests/e2e/envoy_config.py: run `make envoy-examples`"


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_validates(name, wasm_path, runtime_dir):
    """`envoy --mode validate` also starts the VM and runs the plugin's on_configure."""
    text = (harness.envoy_config.EXAMPLES_DIR / name).read_text(encoding="utf-8")
    assert "/etc/envoy/plugin.wasm" in text
    copy = runtime_dir / f"validate-{name}"
    copy.write_text(text.replace("/etc/envoy/plugin.wasm", str(wasm_path)), encoding="utf-8")
    r = subprocess.run([harness.envoy_binary(), "--mode", "validate", "-c", str(copy)],
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    assert r.returncode == 0 and f"configuration '{copy}' OK" in out, f"envoy --mode validate failed:\n{out[-6000:]}"


def test_every_plugin_config_example_loads(wasm_path, runtime_dir):
    """config-examples/*.yaml, with `${NAME}` filled in as `make run` would, all load in Envoy:
    one `--mode validate` over a bootstrap with a listener per file (on_configure runs for each)."""
    examples = sorted(harness.REPO.glob("config-examples/*.yaml"))
    assert examples, "no config-examples/*.yaml"
    listeners = []
    for i, path in enumerate(examples):
        text = path.read_text(encoding="utf-8")
        names = {m.group(1) for m in harness.envoy_config._VAR.finditer(text)}
        env = {n: f"sk-dummy-{n.lower()}" for n in names}
        listeners.append(harness.envoy_config.ListenerSpec(f"example_{i}", 20000 + i,
                                                           harness.envoy_config.substitute_env(text, env)))
    doc = harness.envoy_config.bootstrap(listeners=listeners, wasm_path=str(wasm_path), upstream="provider")
    cfg = runtime_dir / "validate-config-examples.yaml"
    cfg.write_text(harness.envoy_config.to_yaml(doc), encoding="utf-8")
    r = subprocess.run([harness.envoy_binary(), "--mode", "validate", "-c", str(cfg),
                        "--component-log-level", "wasm:info"],
                       capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    out = r.stdout + r.stderr
    rejected = [line for line in out.splitlines() if "rejected" in line or "[error]" in line]
    assert r.returncode == 0, (f"a config example is refused ({', '.join(p.name for p in examples)}):\n"
                               + "\n".join(rejected[:40]) + "\n" + out[-3000:])
