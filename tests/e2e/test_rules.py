"""Higress per-route rules (`_rules_`) choose the provider per request, through a real Envoy.

Higress hands the plugin ONE configuration whose `_rules_` it wrote from `matchRules`; the
plugin matches each request on the `route_name` property (the Envoy route's `name`), the
`:authority` (port ignored, `*.x` wildcards) and the `cluster_name` property (Istio-style
`outbound|<port>|<subset>|<fqdn>`, matched as `fqdn` or `fqdn:port`). A dedicated Envoy
serves this test with a route table that gives each rule something real to match:

    /rd/   route `route-deepseek`  -> cluster `mock`
    /off/  route `off-1`           -> cluster `mock`
    /svc/  route `svc-b`           -> cluster `outbound|8000||svc-b.local` (the mock as well)
    /      route `default`         -> cluster `mock`

All in one `*` virtual host matching on path prefix only: the filter rewrites `:authority` and
`:path`, Envoy's Wasm filter then clears the route cache, and the re-resolved route (usually
`default`, for the rewritten path) must still reach the mock. The rule was chosen before that,
from the route Envoy first picked.

Envoy 1.33 removed the Wasm-only properties `route_name` and `cluster_name`
(envoyproxy/envoy#36619); stock Envoy has them only as `xds.route_name` / `xds.cluster_name`,
while Higress's Envoy keeps the old names. The module reads the old name first, then `xds.*`;
this test is what proves the fallback on Envoy 1.40.
"""

from __future__ import annotations

import copy
import json
import time

import pytest

import envoy_config
import harness

MODULE = harness.module_under_test(harness.wasm_under_test())
pytestmark = pytest.mark.skipif(MODULE != "ai-proxy", reason="needs the ai-proxy module")

PLUGIN_CONFIG = {
    "providers": [
        {"id": "g", "type": "groq", "apiTokens": ["sk-groq"]},
        {"id": "d", "type": "deepseek", "apiTokens": ["sk-ds"]},
    ],
    "activeProviderId": "g",
    "_rules_": [
        {"_match_route_": ["route-deepseek"], "activeProviderId": "d"},
        {"_match_domain_": ["*.moon.example"], "provider": {"type": "moonshot", "apiTokens": ["sk-moon"]}},
        {"_match_service_": ["svc-b.local:8000"], "activeProviderId": "d"},
        {"_match_route_prefix_": ["off-"], "providers": []},
    ],
}

SVC_CLUSTER = "outbound|8000||svc-b.local"
# (route name, path prefix, cluster): first match wins, so `/` goes last.
ROUTES = [
    ("route-deepseek", "/rd/", "mock"),
    ("off-1", "/off/", "mock"),
    ("svc-b", "/svc/", SVC_CLUSTER),
    ("default", "/", "mock"),
]

# Envoy's own view of each request, for failure reports: the route and cluster it ended on.
ACCESS_LOG_FORMAT = envoy_config.ACCESS_LOG_FORMAT.replace(
    "details=", "route=%ROUTE_NAME% cluster=%UPSTREAM_CLUSTER% details=")

CLIENT_KEY = "Bearer client-key"
CHAT = {"model": "some-model", "messages": [{"role": "user", "content": "hi"}]}
OK = {"status": 200, "headers": {"content-type": "application/json"},
      "body": {"id": "c", "object": "chat.completion", "created": 1, "model": "some-model",
               "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}]}}

GROQ = {"authority": "api.groq.com", "path": "/openai/v1/chat/completions",
        "headers": {"authorization": "Bearer sk-groq"}}
DEEPSEEK = {"authority": "api.deepseek.com", "path": "/chat/completions",
            "headers": {"authorization": "Bearer sk-ds"}}
MOONSHOT = {"authority": "api.moonshot.cn", "path": "/v1/chat/completions",
            "headers": {"authorization": "Bearer sk-moon"}}

# id -> (client path, client Host, what the mock must receive)
CASES = {
    # `_match_route_`: the route's `name` reaches the plugin as `route_name`.
    "route-name": ("/rd/v1/chat/completions", "client.example", DEEPSEEK),
    # `_match_domain_` with a suffix wildcard; the client's port is ignored.
    "domain-wildcard": ("/v1/chat/completions", "a.moon.example:8080", MOONSHOT),
    # `_match_service_` `fqdn:port` against the cluster `outbound|8000||svc-b.local`.
    "service-cluster": ("/svc/v1/chat/completions", "client.example", DEEPSEEK),
    # No rule matches (route `default`): the global activeProviderId.
    "global-default": ("/v1/chat/completions", "client.example", GROQ),
    # `*.moon.example` needs a label before the suffix: the bare domain falls to the global.
    "domain-bare-no-match": ("/v1/chat/completions", "moon.example:8080", GROQ),
    # Both the route rule (1st) and the domain rule (2nd) match: the first rule wins.
    "first-rule-wins": ("/rd/v1/chat/completions", "a.moon.example", DEEPSEEK),
    # `_match_route_prefix_` with `providers: []`: the plugin is off for route `off-1`, so the
    # request reaches the upstream exactly as the client sent it.
    "route-prefix-off": ("/off/v1/chat/completions", "client.example",
                         {"authority": "client.example", "path": "/off/v1/chat/completions",
                          "headers": {"authorization": CLIENT_KEY}}),
}

def rules_bootstrap(wasm_path: str, admin_port: int, port: int, mock_port: int) -> dict:
    """The suite's mock bootstrap with this test's route table and the `outbound|...` cluster."""
    plugin_config = json.dumps(PLUGIN_CONFIG, separators=(",", ":"))
    doc = envoy_config.bootstrap(listeners=[envoy_config.ListenerSpec("rules", port, plugin_config)],
                                 wasm_path=wasm_path, upstream="mock", admin_port=admin_port,
                                 mock_port=mock_port)
    hcm = doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    hcm["access_log"][0]["typed_config"]["log_format"]["text_format_source"]["inline_string"] = ACCESS_LOG_FORMAT
    hcm["route_config"] = {
        "name": "rules-routes",
        "virtual_hosts": [{
            "name": "all",
            "domains": ["*"],
            "routes": [{"name": name, "match": {"prefix": prefix}, "route": {"cluster": cluster, "timeout": "60s"}}
                       for name, prefix, cluster in ROUTES],
        }],
    }
    svc = copy.deepcopy(doc["static_resources"]["clusters"][0])  # the mock cluster, renamed
    svc["name"] = svc["load_assignment"]["cluster_name"] = SVC_CLUSTER
    doc["static_resources"]["clusters"].append(svc)
    return doc


@pytest.fixture(scope="module")
def rules_envoy(wasm_path, mock, runtime_dir):
    admin, port = harness.free_ports(2)
    doc = rules_bootstrap(str(wasm_path), admin, port, mock.port)
    envoy = harness.Envoy(doc, runtime_dir, "envoy-rules", concurrency=1)
    try:
        envoy.start()
    except RuntimeError as e:
        pytest.fail(f"the rules Envoy did not start:\n{e}", pytrace=False)
    yield envoy, port
    envoy.stop()


def test_bootstrap_has_the_routes_and_cluster():
    """The bootstrap this test runs really has the names the rules match on."""
    doc = rules_bootstrap("/x.wasm", 1, 2, 3)
    hcm = doc["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]["typed_config"]
    routes = hcm["route_config"]["virtual_hosts"][0]["routes"]
    assert [(r["name"], r["match"], r["route"]["cluster"]) for r in routes] == [
        (n, {"prefix": p}, c) for n, p, c in ROUTES]
    assert [c["name"] for c in doc["static_resources"]["clusters"]] == ["mock", SVC_CLUSTER]
    assert json.loads(hcm["http_filters"][0]["typed_config"]["config"]["configuration"]["value"]) == PLUGIN_CONFIG


def _problems(expect: dict, body: bytes, received: list[dict], resp: harness.Response, log: str) -> list[str]:
    # The body must reach the upstream as sent: no rule here maps the model or adds settings.
    expect = {**expect, "method": "POST", "body_text": body.decode("utf-8")}
    problems = harness.check_upstream({"expect": expect}, received)
    problems += harness.check_response({"status": 200, "body": OK["body"]}, resp)
    vm = harness.vm_failure_lines(log)
    if vm:
        problems.insert(0, "Envoy: the Wasm VM failed:\n  " + "\n  ".join(vm))
    return problems


@pytest.mark.parametrize("case_id", list(CASES))
def test_rule_selects_provider(case_id, rules_envoy, mock):
    envoy, port = rules_envoy
    path, host, expect = CASES[case_id]
    body = harness.compact_json(CHAT)
    mock.arm(OK)
    offset = envoy.log_offset()
    resp = harness.send(port, {"method": "POST", "path": path,
                               "headers": {"host": host, "content-type": "application/json",
                                           "authorization": CLIENT_KEY},
                               "body_text": body.decode("utf-8")})
    received = mock.received()
    log = envoy.log_since(offset)
    problems = _problems(expect, body, received, resp, log)
    if problems:
        time.sleep(0.1)  # let the access-log line flush (--file-flush-interval-msec 20) for the report
        log = envoy.log_since(offset)
    assert not problems, (f"{case_id}: POST {path} Host: {host}\n" + "\n".join(f"- {p}" for p in problems)
                          + f"\n--- Envoy log ({envoy.log_path}) ---\n" + (log.rstrip() or "(nothing)"))
