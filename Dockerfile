# syntax=docker/dockerfile:1
# Builds the filter, runs the size pass and ships it alone: the final image holds only /plugin.wasm
# (for Istio/Higress OCI Wasm plugins, or `docker create` + `docker cp` to extract it).
#   docker build -t ai-proxy-wasm .
#   docker build --build-arg FEATURES=anthropic -t ai-proxy-wasm:claude .   (fewer translators)

# ---- build -------------------------------------------------------------------------------
# Pinned to the toolchain in rust-toolchain.toml.
FROM rust:1.95.0 AS build
WORKDIR /src
RUN rustup target add wasm32-wasip1

# Manifests first, so the dependency download is cached until they change.
COPY rust-toolchain.toml Cargo.toml Cargo.lock ./
COPY providers/Cargo.toml providers/Cargo.toml
COPY bench/noop-filter/Cargo.toml bench/noop-filter/Cargo.toml
COPY tests/trap-filter/Cargo.toml tests/trap-filter/Cargo.toml
RUN mkdir -p src providers/src providers/benches bench/noop-filter/src tests/trap-filter/src \
 && touch src/lib.rs providers/src/lib.rs providers/benches/hot_paths.rs bench/noop-filter/src/lib.rs \
    tests/trap-filter/src/lib.rs \
 && cargo fetch --locked

COPY . .
# The module's cargo features: `default` is YAML + every translator; a list such as
# `anthropic` (Higress passes JSON, so YAML can go) builds a smaller module (README, "Smaller builds").
ARG FEATURES=default
RUN cargo build --release --locked --target wasm32-wasip1 -p ai-proxy --no-default-features --features "$FEATURES"

# ---- size pass ---------------------------------------------------------------------------
# Binaryen's wasm-opt -Oz, the version tools/wasm-opt/package-lock.json pins, as `make build`.
FROM node:22-bookworm-slim AS optimize
WORKDIR /src
COPY tools/wasm-opt/package.json tools/wasm-opt/package-lock.json tools/wasm-opt/
RUN cd tools/wasm-opt && npm ci --no-audit --no-fund --loglevel=error
COPY scripts/optimize-wasm.sh scripts/
COPY --from=build /src/target/wasm32-wasip1/release/ai_proxy.wasm /src/ai_proxy.wasm
RUN scripts/optimize-wasm.sh ai_proxy.wasm plugin.wasm

# ---- artifact ----------------------------------------------------------------------------
FROM scratch
COPY --from=optimize /src/plugin.wasm /plugin.wasm
