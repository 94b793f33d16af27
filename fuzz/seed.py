#!/usr/bin/env python3
"""Seeds the fuzz corpora and dictionaries from the golden fixtures.

    python3 fuzz/seed.py            (from anywhere; `make fuzz` runs it)

Reads tests/fixtures/**/case.json and config-examples/*.yaml and writes, each input in the
byte layout its target reads (see fuzz/src/lib.rs and the targets' docs):

    fuzz/corpus/sse_decoder/           upstream SSE streams and the client streams we expect
    fuzz/corpus/config_compile/        configs as compact JSON, pretty JSON, YAML; the examples
    fuzz/corpus/request_translation/   client request bodies, for each provider, on their API
    fuzz/corpus/response_translation/  upstream bodies (JSON and SSE), for the setups they fit
    fuzz/dict/<target>.dict            libFuzzer dictionaries: JSON keys, enum-like values, SSE tokens

File names are content hashes, so re-running only adds what is new; libFuzzer's own finds in
the same directories are kept. Generated files are not committed (.gitignore).
"""

import hashlib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXAMPLES = ROOT / "config-examples"
FUZZ = ROOT / "fuzz"

# fuzz/src/lib.rs PROVIDERS and PATHS, in order.
PROVIDERS = ["openai", "azure", "claude", "gemini", "qwen", "qwen-compatible"]
PATHS = ["/v1/chat/completions", "/v1/embeddings", "/v1/messages", "/v1/rerank"]
# fuzz_targets/response_translation.rs SETUPS, STATUSES and CONTENT_TYPES, in order.
SETUPS = {
    "claude-chat": [0, 1, 2],
    "messages-ingress": [3, 4],
    "gemini-chat": [5, 6, 7],
    "gemini-embeddings": [8, 9],
    "qwen-chat": [10, 11, 12],
    "qwen-embeddings": [13, 14],
    "qwen-rerank": [15],
    "usage-filter": [16],
}
STATUSES = [200, 400, 401, 403, 404, 429, 500, 502, 503, 529, 201, 204, 206, 301, 418, 599]
CONTENT_TYPES = [
    "application/json",
    "text/event-stream",
    "text/event-stream; charset=utf-8",
    None,
    " Text/Event-Stream",
    "application/json; charset=utf-8",
    "text/plain",
    "text/html",
]
# Chunking prefixes (fuzz/src/lib.rs): whole, and cut every 5, 0 (an empty chunk), 11 bytes
# with the end signalled by an extra empty chunk (bit 4, response target).
WHOLE = bytes([0x00])
CUT = bytes([0x13, 5, 0, 11])
# sse_decoder header: bit 4 raw capture, bits 5-7 limit index (7 = the default 4 MiB, 4 = 128 bytes).
SSE_HEADERS = [bytes([0xF0]), bytes([0xF3, 7, 1, 13]), bytes([0x90])]

SSE_TOKENS = ["data:", "data: ", "event:", "event: ", "id:", "retry:", ":", "\n", "\r", "\r\n", "\n\n", "[DONE]"]


def wire(msg):
    """A fixture body as the runners send it: body_text exactly, body as compact sorted JSON."""
    if msg is None:
        return None
    if "body_text" in msg:
        return msg["body_text"].encode()
    if "body" in msg:
        return json.dumps(msg["body"], separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()
    return None


def yaml_scalar(v):
    # JSON scalars are YAML flow scalars (strings double-quoted, so nothing is retyped).
    return json.dumps(v, ensure_ascii=False)


def to_yaml(v, indent=0):
    """A small block-style YAML emitter (no PyYAML needed)."""
    pad = "  " * indent
    lines = []
    if isinstance(v, dict):
        if not v:
            return pad + "{}\n"
        for k, x in v.items():
            if isinstance(x, (dict, list)) and x:
                lines.append(f"{pad}{yaml_scalar(k)}:\n{to_yaml(x, indent + 1)}")
            else:
                lines.append(f"{pad}{yaml_scalar(k)}: {yaml_scalar(x)}\n")
    elif isinstance(v, list):
        if not v:
            return pad + "[]\n"
        for x in v:
            if isinstance(x, (dict, list)) and x:
                inner = to_yaml(x, indent + 1)
                lines.append(f"{pad}-\n{inner}")
            else:
                lines.append(f"{pad}- {yaml_scalar(x)}\n")
    else:
        return pad + yaml_scalar(v) + "\n"
    return "".join(lines)


class Corpus:
    def __init__(self, target):
        self.dir = FUZZ / "corpus" / target
        self.dir.mkdir(parents=True, exist_ok=True)
        self.added = 0
        self.seen = set()

    def add(self, data):
        name = hashlib.sha1(data).hexdigest()
        if name in self.seen:
            return
        self.seen.add(name)
        path = self.dir / name
        if not path.exists():
            path.write_bytes(data)
            self.added += 1


def api_index(path):
    p = path.split("?", 1)[0]
    for i, api in enumerate(PATHS):
        if p.endswith(api):
            return i
    return None


def family(case):
    """Which response-translation setups an upstream response of this case feeds."""
    cfg = case.get("config", {}).get("provider")
    if not isinstance(cfg, dict):
        return []
    kind = cfg.get("type")
    api = api_index(case.get("request", {}).get("path", ""))
    compatible = cfg.get("qwenEnableCompatible") is True
    if kind == "claude":
        return SETUPS["claude-chat"] if api == 0 else []
    if kind == "gemini":
        return {0: SETUPS["gemini-chat"], 1: SETUPS["gemini-embeddings"]}.get(api, [])
    if kind == "qwen" and not compatible:
        return {0: SETUPS["qwen-chat"], 1: SETUPS["qwen-embeddings"], 3: SETUPS["qwen-rerank"]}.get(api, [])
    # An OpenAI-wire upstream: what the Anthropic-ingress translator and the usage filter read.
    if api in (0, 2):
        return SETUPS["messages-ingress"] + SETUPS["usage-filter"]
    return []


def collect_tokens(v, keys, values):
    if isinstance(v, dict):
        for k, x in v.items():
            keys.add(k)
            collect_tokens(x, keys, values)
    elif isinstance(v, list):
        for x in v:
            collect_tokens(x, keys, values)
    elif isinstance(v, str) and 0 < len(v) <= 40 and re.fullmatch(r"[A-Za-z0-9_.:/-]+", v):
        values.add(v)


def dict_entry(token):
    out = []
    for b in token.encode():
        if b in (0x22, 0x5C) or b < 0x20 or b > 0x7E:
            out.append(f"\\x{b:02X}")
        else:
            out.append(chr(b))
    return '"' + "".join(out) + '"'


def write_dict(target, tokens):
    d = FUZZ / "dict"
    d.mkdir(parents=True, exist_ok=True)
    # libFuzzer ignores dictionary entries longer than 64 bytes.
    lines = sorted({dict_entry(t) for t in tokens if 0 < len(t.encode()) <= 64})
    (d / f"{target}.dict").write_text("\n".join(lines) + "\n")


def main():
    cases = []
    for path in sorted(FIXTURES.rglob("case.json")):
        try:
            cases.append((path, json.loads(path.read_text())))
        except (OSError, ValueError) as e:
            print(f"seed: skipping {path}: {e}", file=sys.stderr)
    sse = Corpus("sse_decoder")
    config = Corpus("config_compile")
    request = Corpus("request_translation")
    response = Corpus("response_translation")
    config_tokens, request_tokens, response_tokens = set(), set(), set()

    for _, case in cases:
        cfg = case.get("config")
        if cfg is not None:
            config.add(json.dumps(cfg, separators=(",", ":")).encode())
            config.add(json.dumps(cfg, indent=2, ensure_ascii=False).encode())
            config.add(to_yaml(cfg).encode())
            keys, values = set(), set()
            collect_tokens(cfg, keys, values)
            config_tokens |= keys | values

        req = case.get("request") or {}
        body = wire(req)
        api = api_index(req.get("path", ""))
        if body is not None and api is not None:
            for p in range(len(PROVIDERS)):
                request.add(bytes([p * len(PATHS) + api, 0, 0]) + body)
            keys, values = set(), set()
            collect_tokens(req.get("body"), keys, values)
            request_tokens |= {f'"{k}"' for k in keys} | {f'"{v}"' for v in values}

        up = (case.get("upstream") or {}).get("response")
        up_body = wire(up)
        if up_body is None:
            continue
        status = up.get("status", 200)
        ct = (up.get("headers") or {}).get("content-type")
        status_i = STATUSES.index(status) if status in STATUSES else 0
        ct_i = CONTENT_TYPES.index(ct) if ct in CONTENT_TYPES else 0
        for setup in family(case):
            for cut in (WHOLE, CUT):
                response.add(bytes([setup, status_i, ct_i]) + cut + up_body)
        if "body" in up:
            keys, values = set(), set()
            collect_tokens(up["body"], keys, values)
            response_tokens |= {f'"{k}"' for k in keys} | {f'"{v}"' for v in values}
        if up.get("body_text") and "event-stream" in (ct or ""):
            for header in SSE_HEADERS:
                sse.add(header + up_body)
            for line in up["body_text"].splitlines():
                for m in re.finditer(r'"([A-Za-z_][A-Za-z0-9_]*)"\s*:', line):
                    response_tokens.add(f'"{m.group(1)}"')
        client = (case.get("response") or {}).get("body_text")
        if client and client.startswith(("data:", "event:")):
            sse.add(SSE_HEADERS[0] + client.encode())

    for path in sorted(EXAMPLES.glob("*.yaml")):
        config.add(path.read_bytes())

    write_dict("sse_decoder", SSE_TOKENS)
    write_dict("config_compile", config_tokens | {"_rules_", "_match_route_", "_match_domain_", "{", "[", ": ", "- "})
    write_dict("request_translation", request_tokens | {"true", "false", "null", "{}", "[]"})
    write_dict("response_translation", response_tokens | set(SSE_TOKENS) | {"true", "false", "null"})

    for c in (sse, config, request, response):
        total = sum(1 for _ in c.dir.iterdir())
        print(f"seed: {c.dir.relative_to(ROOT)}: {c.added} new, {total} in all")


if __name__ == "__main__":
    main()
