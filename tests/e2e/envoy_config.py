#!/usr/bin/env python3
"""The one source of every Envoy bootstrap ai-proxy ships or tests (stdlib only).

Used by
  * the e2e suite (`conftest.py`): one Envoy, one listener per distinct plugin config,
    all sharing one Wasm VM, routing everything to the mock upstream;
  * `make run` (`scripts/run.py`): the mock or the real providers on 127.0.0.1:10000;
  * the example files users read, `config-examples/envoy/*.yaml`, which are *generated* from
    here (`make envoy-examples`) and checked for drift by the e2e suite, so the documented
    configuration is the tested one.

CLI:
  envoy_config.py examples [--check]      write (or check) config-examples/envoy/*.yaml
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = REPO / "config-examples" / "envoy"
QUICKSTART = REPO / "config-examples" / "quickstart.yaml"

VM_ID = "ai-proxy"
PLUGIN_NAME = "ai-proxy"
# Large enough to buffer a request just over the filter's own 10 MiB limit (it answers 413
# itself) and a whole non-streamed provider response.
BUFFER_LIMIT_BYTES = 32 * 1024 * 1024
SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"

ACCESS_LOG_FORMAT = (
    "[access] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% "
    "%RESPONSE_FLAGS% rx=%BYTES_RECEIVED% tx=%BYTES_SENT% %DURATION%ms "
    "listener=%DOWNSTREAM_LOCAL_PORT% client=%DOWNSTREAM_REMOTE_ADDRESS% upstream=%UPSTREAM_HOST% "
    "authority=%REQ(:AUTHORITY)% "
    "details=%RESPONSE_CODE_DETAILS%\n"
)

# --------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------


# Defence in depth: no input can make ai-proxy trap, but if its VM ever does, FAIL_RELOAD
# gives the worker a fresh VM (same module, same configuration) for the first request after
# the backoff. Measured on 1.40 (tests/e2e/test_recovery.py, README "When the VM fails"):
# requests on that worker in the meantime, and requests in flight on the failed VM, get a 503
# (`wasm_fail_stream`); the backoff doubles while reloaded VMs keep failing, up to the max, and
# starts again from the base after a request succeeds. FAIL_CLOSED (Envoy's default) answers
# 503 until Envoy restarts; FAIL_OPEN would send requests past the filter with the client's
# credentials and without the provider's: never for this filter.
FAILURE_POLICY = {
    "failure_policy": "FAIL_RELOAD",
    "reload_config": {"backoff": {"base_interval": "0.1s", "max_interval": "1s"}},
}


def wasm_filter(wasm_path: str, plugin_config: str) -> dict:
    """The ai-proxy HTTP filter. Same vm_id + same code everywhere: listeners share one VM."""
    return {
        "name": "envoy.filters.http.wasm",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
            "config": {
                "name": PLUGIN_NAME,
                "root_id": PLUGIN_NAME,
                "vm_config": {
                    "vm_id": VM_ID,
                    "runtime": "envoy.wasm.runtime.v8",
                    "code": {"local": {"filename": wasm_path}},
                },
                "configuration": {
                    "@type": "type.googleapis.com/google.protobuf.StringValue",
                    "value": plugin_config,
                },
                # Envoy >= 1.35: lets the filter pause in the header phase and still get the
                # body callbacks (headers that depend on the body's model: Gemini, Azure, Bedrock).
                # It is a field of PluginConfig (`config`), not of the Wasm message.
                "allow_on_headers_stop_iteration": True,
                **FAILURE_POLICY,
            },
        },
    }


def dfp_cache() -> dict:
    return {"name": "dynamic_forward_proxy_cache", "dns_lookup_family": "V4_PREFERRED"}


def dfp_filter() -> dict:
    """Resolves whatever :authority the Wasm filter set; must come after it."""
    return {
        "name": "envoy.filters.http.dynamic_forward_proxy",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig",
            "dns_cache_config": dfp_cache(),
        },
    }


def router_filter() -> dict:
    return {
        "name": "envoy.filters.http.router",
        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
    }


def access_log() -> list:
    return [{
        "name": "envoy.access_loggers.stdout",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog",
            "log_format": {"text_format_source": {"inline_string": ACCESS_LOG_FORMAT}},
        },
    }]


def local_reply_config() -> dict:
    """Envoy's own error answers as OpenAI errors.

    When the upstream times out, resets or cannot be reached, Envoy answers by itself with a
    text/plain body ("upstream request timeout"). If the filter is holding the response headers
    of a translated answer at that moment, that reply goes straight to the client, past the
    filter; and on passthrough routes the filter never translates it. An OpenAI client should
    get an OpenAI error either way. The mapper only matches replies that carry a response flag
    (UT, UF, UC, URX, NR, ...): the filter's own local replies have none and keep their bodies.
    """
    return {
        "mappers": [{
            "filter": {"response_flag_filter": {}},
            "body_format_override": {
                "json_format": {"error": {
                    "message": "%LOCAL_REPLY_BODY%",
                    "type": "api_error",
                    "code": "%RESPONSE_CODE_DETAILS%",
                }},
                "content_type": "application/json",
            },
        }],
    }


def listener(name: str, address: str, port: int, wasm_path: str, plugin_config: str, upstream: str,
             route_timeout: str | None = None) -> dict:
    if upstream == "mock":
        cluster, http_filters = "mock", [wasm_filter(wasm_path, plugin_config), router_filter()]
        # route_timeout: the fault tests' short timeout (e.g. "1s"); default 60s.
        route = {"cluster": cluster, "timeout": route_timeout or "60s"}
    elif upstream == "provider":
        cluster = "dynamic_forward_proxy_cluster"
        http_filters = [wasm_filter(wasm_path, plugin_config), dfp_filter(), router_filter()]
        # LLM streams can run long: no overall timeout, but an idle one.
        route = {"cluster": cluster, "timeout": "0s", "idle_timeout": "300s"}
    else:
        raise ValueError(f"unknown upstream kind {upstream!r}")
    return {
        "name": name,
        "address": {"socket_address": {"address": address, "port_value": port}},
        "per_connection_buffer_limit_bytes": BUFFER_LIMIT_BYTES,
        "filter_chains": [{
            "filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": name,
                    "access_log": access_log(),
                    "local_reply_config": local_reply_config(),
                    # The filter rewrites :authority (to the provider host) and :path; the Wasm
                    # filter then clears the route cache. This catch-all virtual host sends every
                    # re-resolved route to the same upstream cluster.
                    "route_config": {
                        "name": f"{name}-routes",
                        "virtual_hosts": [{
                            "name": "all",
                            "domains": ["*"],
                            "routes": [{"match": {"prefix": "/"}, "route": route}],
                        }],
                    },
                    "http_filters": http_filters,
                },
            }],
        }],
    }


def mock_cluster(host: str, port: int) -> dict:
    is_ip = bool(re.fullmatch(r"[0-9.]+", host))
    return {
        "name": "mock",
        "type": "STATIC" if is_ip else "STRICT_DNS",
        "connect_timeout": "5s",
        "per_connection_buffer_limit_bytes": BUFFER_LIMIT_BYTES,
        "load_assignment": {
            "cluster_name": "mock",
            "endpoints": [{"lb_endpoints": [{"endpoint": {"address": {
                "socket_address": {"address": host, "port_value": port}}}}]}],
        },
    }


def dfp_cluster(ca_file: str = SYSTEM_CA_FILE) -> dict:
    """Any host the filter names, over TLS on 443, SNI and SAN check from the host header."""
    return {
        "name": "dynamic_forward_proxy_cluster",
        "connect_timeout": "10s",
        "lb_policy": "CLUSTER_PROVIDED",
        "per_connection_buffer_limit_bytes": BUFFER_LIMIT_BYTES,
        "cluster_type": {
            "name": "envoy.clusters.dynamic_forward_proxy",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig",
                "dns_cache_config": dfp_cache(),
            },
        },
        "typed_extension_protocol_options": {
            "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
                "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
                "upstream_http_protocol_options": {"auto_sni": True, "auto_san_validation": True},
                "explicit_http_config": {"http_protocol_options": {}},
            },
        },
        "transport_socket": {
            "name": "envoy.transport_sockets.tls",
            "typed_config": {
                "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
                "common_tls_context": {"validation_context": {"trusted_ca": {"filename": ca_file}}},
            },
        },
    }


@dataclass
class ListenerSpec:
    name: str
    port: int
    plugin_config: str
    route_timeout: str | None = None  # mock upstream only; None: 60s


# tcmalloc keeps what V8 freed after compiling the module (a few MiB) unless Envoy asks it to give
# free pages back; the README's RSS figures (bench/envoy_compare.py) are measured with this setting.
MEMORY_ALLOCATOR_MANAGER = {"bytes_to_release": 8388608, "memory_release_interval": "1s"}


def bootstrap(*, listeners: list[ListenerSpec], wasm_path: str, upstream: str,
              bind_address: str = "127.0.0.1", admin_address: str = "127.0.0.1", admin_port: int = 9901,
              mock_host: str = "127.0.0.1", mock_port: int = 8000, ca_file: str = SYSTEM_CA_FILE) -> dict:
    clusters = [mock_cluster(mock_host, mock_port)] if upstream == "mock" else [dfp_cluster(ca_file)]
    return {
        "memory_allocator_manager": MEMORY_ALLOCATOR_MANAGER,
        "admin": {"address": {"socket_address": {"address": admin_address, "port_value": admin_port}}},
        "static_resources": {
            "listeners": [listener(ls.name, bind_address, ls.port, wasm_path, ls.plugin_config, upstream,
                                   ls.route_timeout)
                          for ls in listeners],
            "clusters": clusters,
        },
    }


# --------------------------------------------------------------------------------------
# Plugin configuration text
# --------------------------------------------------------------------------------------

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def substitute_env(text: str, env: dict[str, str] | None = None) -> str:
    """Replace ${NAME} with the environment's value; every referenced name must be set.

    Whole-line comments (first non-blank character `#`) are left as they are, so a config
    can document the variables it expects.
    """
    env = os.environ if env is None else env
    lines = text.splitlines(keepends=True)
    live = [i for i, line in enumerate(lines) if not line.lstrip().startswith("#")]
    missing = sorted({m.group(1) for i in live for m in _VAR.finditer(lines[i]) if m.group(1) not in env})
    if missing:
        raise SystemExit("config references unset environment variable(s): " + ", ".join(missing))
    for i in live:
        lines[i] = _VAR.sub(lambda m: env[m.group(1)], lines[i])
    return "".join(lines)


def read_plugin_config(path: Path, env: dict[str, str] | None = None) -> str:
    text = Path(path).read_text(encoding="utf-8")
    return substitute_env(text, env)


# --------------------------------------------------------------------------------------
# A small YAML emitter (no PyYAML: stdlib only). Output is checked by `envoy --mode validate`.
# --------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*")
_RESERVED = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"}


def _scalar(v) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    s = str(v)
    if _PLAIN.fullmatch(s) and s.lower() not in _RESERVED:
        return s
    return json.dumps(s, ensure_ascii=False)


def _block_ok(s: str) -> bool:
    return ("\n" in s and s.endswith("\n") and not s.endswith("\n\n") and not s.startswith((" ", "\n"))
            and "\t" not in s and "\r" not in s and all(line == line.rstrip() for line in s.split("\n")))


def _emit(v, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(v, dict):
        for k, item in v.items():
            key = _scalar(k)
            if isinstance(item, dict) and item:
                out.append(f"{pad}{key}:")
                _emit(item, indent + 2, out)
            elif isinstance(item, list) and item:
                out.append(f"{pad}{key}:")
                _emit(item, indent + 2, out)
            elif isinstance(item, str) and _block_ok(item):
                out.append(f"{pad}{key}: |")
                out.extend((pad + "  " + line) if line else "" for line in item[:-1].split("\n"))
            else:
                out.append(f"{pad}{key}: {_inline(item)}")
    elif isinstance(v, list):
        for item in v:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                _emit(item, indent + 2, sub)
                first = sub[0]
                out.append(f"{pad}- {first[indent + 2:]}")
                out.extend(sub[1:])
            elif isinstance(item, list) and item:
                out.append(f"{pad}-")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{pad}- {_inline(item)}")
    else:
        out.append(pad + _inline(v))


def _inline(v) -> str:
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_inline(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_inline(x) for x in v) + "]"
    return _scalar(v)


def to_yaml(doc: dict, header: str = "") -> str:
    out: list[str] = [("# " + line).rstrip() for line in header.strip("\n").split("\n")] if header else []
    _emit(doc, 0, out)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------
# The example files in config-examples/envoy/
# --------------------------------------------------------------------------------------

PROVIDER_EXAMPLE_PLUGIN_CONFIG = """\
# Replace the key, or use `make run CONFIG=<file>`, which substitutes ${NAME} from the
# environment into the plugin configuration.
provider:
  type: openai
  apiTokens:
    - sk-REPLACE-ME
"""

GENERATED_NOTE = ("GENERATED by tests/e2e/envoy_config.py (`make envoy-examples`); edit the generator, not this file.\n"
                  "The e2e suite builds its Envoy from the same generator and fails if this file drifts.\n")


def example_files() -> dict[str, str]:
    quickstart = QUICKSTART.read_text(encoding="utf-8")
    mock = bootstrap(
        listeners=[ListenerSpec("ai_proxy", 10000, quickstart)],
        wasm_path="/etc/envoy/plugin.wasm", upstream="mock", bind_address="0.0.0.0",
        admin_address="127.0.0.1", admin_port=9901, mock_host="mock", mock_port=8000)
    provider = bootstrap(
        listeners=[ListenerSpec("ai_proxy", 10000, PROVIDER_EXAMPLE_PLUGIN_CONFIG)],
        wasm_path="/etc/envoy/plugin.wasm", upstream="provider", bind_address="0.0.0.0",
        admin_address="127.0.0.1", admin_port=9901)
    return {
        "envoy-mock.yaml": to_yaml(mock, GENERATED_NOTE + (
            "\nEnvoy + ai-proxy in front of the echo mock (tests/e2e/mock_upstream.py), as run by\n"
            "docker-compose.yaml. The plugin configuration is config-examples/quickstart.yaml.\n"
            "Every request goes to the `mock` cluster whatever :authority the filter sets.\n")),
        "envoy-provider.yaml": to_yaml(provider, GENERATED_NOTE + (
            "\nEnvoy + ai-proxy in front of the real providers: the dynamic forward proxy resolves the\n"
            ":authority the filter sets (api.openai.com, api.deepseek.com, ...) and connects over TLS\n"
            "on 443 with SNI and certificate checks from that host name. Put your provider config in\n"
            "the `configuration` value below.\n")),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate ai-proxy's Envoy configurations.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ex = sub.add_parser("examples", help="write config-examples/envoy/*.yaml")
    ex.add_argument("--check", action="store_true", help="only check they are up to date")
    args = ap.parse_args(argv)

    if args.cmd == "examples":  # the only command
        stale = []
        for name, text in example_files().items():
            path = EXAMPLES_DIR / name
            if args.check:
                if not path.exists() or path.read_text(encoding="utf-8") != text:
                    stale.append(str(path.relative_to(REPO)))
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(REPO)}")
        if stale:
            print("out of date (run `make envoy-examples`): " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0

    return 0


if __name__ == "__main__":
    sys.exit(main())
