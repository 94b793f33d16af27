# ai-proxy: build, test and run the proxy-wasm filter.
#
#   make build      release Wasm module, through the wasm-opt size pass -> dist/plugin.wasm
#                   (WASM_OPT= skips the pass: needs no Node.js, 17 % larger)
#                   make build FEATURES=yaml,anthropic  -> only the translators listed (README,
#                   "Smaller builds"); FEATURES= builds the OpenAI wire with JSON configuration only
#   make build-symbols   the same with function names -> dist/plugin.symbols.wasm
#   make test       native tests, build, size gate, e2e through a real Envoy, harness self-test
#   make e2e        only the real-Envoy suite (PYTEST_ARGS="-k deepseek -x" to narrow it)
#   make run        Envoy + filter on 127.0.0.1:10000 in front of the echo mock;
#                   make run CONFIG=my-provider.yaml  -> the real provider over TLS,
#                   ${NAME} in the config substituted from the environment
#   make lint       rustfmt check, clippy native + wasm32 with -D warnings
#   make size       module size against the 1.5 MB budget
#   make bench      criterion benches + Envoy with/without the filter (needs wrk)
#   make soak       64 clients x 60 s of mixed requests through Envoy + filter: statuses, flat RSS
#   make fuzz       cargo-fuzz targets (nightly): seed corpora from the fixtures, then run each
#                   target FUZZ_RUNS times (make fuzz-sse_decoder: one target; see fuzz/README.md)
#   make envoy-examples   regenerate config-examples/envoy/*.yaml
#   make clean      build outputs and test run files (distclean: also .venv and node_modules)

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
# Prerequisites run left to right (test: unit before build before e2e ...).
.NOTPARALLEL:

CARGO       ?= cargo
# Cargo features of the module: `default` is YAML + every translator.
FEATURES    ?= default
WASM_TARGET := wasm32-wasip1
RELEASE_DIR := target/$(WASM_TARGET)/release
WASM        := $(RELEASE_DIR)/ai_proxy.wasm
NOOP_WASM   := $(RELEASE_DIR)/noop_filter.wasm
# Test-only: traps on request, for the VM recovery test (tests/e2e/test_recovery.py).
TRAP_WASM   := $(RELEASE_DIR)/trap_filter.wasm
DIST        := dist/plugin.wasm
# Binaryen's wasm-opt (tools/wasm-opt, pinned, from npm); empty: no size pass.
WASM_OPT    ?= tools/wasm-opt/node_modules/.bin/wasm-opt
SIZE_BUDGET := 1572864

VENV        := .venv
PY          := $(VENV)/bin/python
PYTEST_ARGS ?=

CONFIG     ?= config-examples/quickstart.yaml
# The quickstart goes to the echo mock; any other config to the real provider.
UPSTREAM   ?= $(if $(filter config-examples/quickstart.yaml ./config-examples/quickstart.yaml,$(CONFIG)),mock,provider)
PORT       ?= 10000
ADMIN_PORT ?= 9901
MOCK_PORT  ?= 8000
CA_FILE    ?= /etc/ssl/certs/ca-certificates.crt

.PHONY: build wasm-opt build-symbols build-noop build-trap venv clients unit test e2e e2e-harness run lint size bench soak fuzz fuzz-seed envoy-examples clean distclean

build: $(if $(filter tools/wasm-opt/%,$(WASM_OPT)),wasm-opt)
	$(CARGO) build --release --target $(WASM_TARGET) -p ai-proxy --no-default-features --features "$(FEATURES)"
	@mkdir -p dist
	$(if $(WASM_OPT),WASM_OPT=$(WASM_OPT) scripts/optimize-wasm.sh $(WASM) $(DIST),cp $(WASM) $(DIST))
	@echo "$(DIST): $$(stat -c %s $(DIST)) bytes (cargo's module: $$(stat -c %s $(WASM)))"

# Binaryen's wasm-opt, pinned (tools/wasm-opt/package-lock.json), for the size pass.
wasm-opt:
	scripts/install-wasm-opt.sh

# The same module with its name section, so a trap's backtrace in Envoy's log shows names.
build-symbols:
	$(CARGO) build --profile symbols --target $(WASM_TARGET) -p ai-proxy --no-default-features --features "$(FEATURES)"
	@mkdir -p dist
	cp target/$(WASM_TARGET)/symbols/ai_proxy.wasm dist/plugin.symbols.wasm

build-noop:
	$(CARGO) build --release --target $(WASM_TARGET) -p noop-filter

build-trap:
	$(CARGO) build --release --target $(WASM_TARGET) -p trap-filter

venv:
	scripts/install-envoy.sh

# Codex CLI and Claude Code, pinned (tests/e2e/clients/package-lock.json), for test_cli_clients.py.
clients:
	scripts/install-clients.sh

unit:
	$(CARGO) test --workspace
	# The slimmest build: what it must refuse (the fixture suites need every translator).
	$(CARGO) test -p providers --no-default-features --lib -- translators_left_out messages_path_needs responses_path_needs

test: lint unit build size e2e e2e-harness

# The fixture suite (tests/fixtures/**/case.json), the quickstart and the example Envoy
# configs, through Envoy 1.40 running dist/plugin.wasm; the VM recovery test with the trap module.
e2e: build build-trap venv clients
	AI_PROXY_WASM=$(abspath $(DIST)) AI_PROXY_E2E_MODULE=ai-proxy ENVOY_BIN=$(abspath $(VENV)/bin/envoy) \
		AI_PROXY_TRAP_WASM=$(abspath $(TRAP_WASM)) \
		$(PY) -m pytest tests/e2e -ra $(PYTEST_ARGS)

# The same suite with the no-op filter: runs the tests/fixtures/_harness cases and the live
# self-tests that prove the harness's assertions fail when they should.
e2e-harness: build-noop venv
	AI_PROXY_WASM=$(abspath $(NOOP_WASM)) AI_PROXY_E2E_MODULE=noop ENVOY_BIN=$(abspath $(VENV)/bin/envoy) \
		$(PY) -m pytest tests/e2e -q $(PYTEST_ARGS)

run: build venv
	$(PY) scripts/run.py --config "$(CONFIG)" --upstream $(UPSTREAM) --wasm $(DIST) \
		--port $(PORT) --admin-port $(ADMIN_PORT) --mock-port $(MOCK_PORT) --ca-file "$(CA_FILE)"

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --workspace --target $(WASM_TARGET) --lib -- -D warnings
	# Builds with only some translators (FEATURES=...): each one alone, and none.
	for f in "" anthropic gemini dashscope responses; do \
		$(CARGO) clippy -q -p providers --no-default-features --features "$$f" --lib -- -D warnings; done
	$(CARGO) clippy -p ai-proxy --no-default-features --target $(WASM_TARGET) --lib -- -D warnings
	python3 -m py_compile tests/e2e/*.py scripts/run.py

size: build
	@bytes=$$(stat -c %s $(DIST)); \
	echo "$(DIST): $$bytes bytes (budget $(SIZE_BUDGET))"; \
	if [ "$$bytes" -gt $(SIZE_BUDGET) ]; then echo "size: over the $(SIZE_BUDGET)-byte budget" >&2; exit 1; fi

# Not part of `make test`: criterion benches of the core, then Envoy plain vs no-op Wasm vs
# ai-proxy under wrk (Debian package `wrk`; see bench/README.md).
bench: build build-noop venv
	$(CARGO) bench -p providers --bench hot_paths
	python3 bench/envoy_compare.py --envoy $(VENV)/bin/envoy $(BENCH_ARGS)

# Not part of `make test`: 64 keep-alive clients for 60 s through one Envoy (--concurrency 2) +
# ai-proxy in front of the direct_response mock, mixing OpenAI passthrough and Claude-translated
# JSON/SSE with malformed requests; every status is checked and Envoy's RSS must stay flat after
# a 10 s warm-up (bench/soak.py; SOAK_ARGS="--duration 300 --clients 128" to change it).
soak: build venv
	python3 bench/soak.py --envoy $(VENV)/bin/envoy --wasm $(DIST) $(SOAK_ARGS)

# Not part of `make test`: libFuzzer targets over the core (fuzz/, its own workspace, nightly).
# Debug assertions and overflow checks on (-a). AddressSanitizer only for config_compile, where
# YAML goes through unsafe-libyaml; the other targets are safe Rust end to end and run about
# ten times faster without it (FUZZ_SANITIZER=address forces it everywhere).
FUZZ_CARGO     ?= cargo +nightly
FUZZ_TARGETS   := sse_decoder config_compile request_translation response_translation
FUZZ_RUNS      ?= 1000000
FUZZ_SANITIZER ?=
FUZZ_ARGS      ?=

fuzz: fuzz-seed $(addprefix fuzz-,$(FUZZ_TARGETS))

fuzz-seed:
	@$(FUZZ_CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	python3 fuzz/seed.py

fuzz-%: fuzz-seed
	$(FUZZ_CARGO) fuzz run -a -s $(or $(FUZZ_SANITIZER),$(if $(filter config_compile,$*),address,none)) $* -- \
		-runs=$(FUZZ_RUNS) -dict=fuzz/dict/$*.dict -print_final_stats=1 $(FUZZ_ARGS)

envoy-examples:
	python3 tests/e2e/envoy_config.py examples

clean:
	$(CARGO) clean
	rm -rf dist tests/e2e/.runtime .pytest_cache tests/e2e/__pycache__ scripts/__pycache__ fuzz/target

distclean: clean
	rm -rf $(VENV) tests/e2e/clients/node_modules tools/wasm-opt/node_modules
