"""The harness checks themselves: each assertion must be able to fail.

The pure tests feed the checkers synthetic data; the live ones (no-op module only) run a
harness case through Envoy with deliberately wrong expectations and require the failures."""

from __future__ import annotations

import base64
import copy
import json

import pytest

import envoy_config
import harness
import mock_upstream

MODULE = harness.module_under_test(harness.wasm_under_test())


# ---- mock chunking ----------------------------------------------------------------------

SSE = b'data: {"a":1}\n\n: comment\n\ndata: {"b":"\xc3\xa9"}\r\n\r\ndata: [DONE]\n\n'


@pytest.mark.parametrize("mode", mock_upstream.CHUNKINGS)
def test_split_reassembles(mode):
    chunks = mock_upstream.split_body(SSE, mode)
    assert b"".join(chunks) == SSE
    assert all(chunks)


def test_split_shapes():
    assert mock_upstream.split_body(SSE, "whole") == [SSE]
    assert mock_upstream.split_body(SSE, "per-event") == [
        b'data: {"a":1}\n\n', b": comment\n\n", b'data: {"b":"\xc3\xa9"}\r\n\r\n', b"data: [DONE]\n\n"]
    assert [len(c) for c in mock_upstream.split_body(SSE, "every-7-bytes")][:-1] == [7] * (len(SSE) // 7)
    assert len(mock_upstream.split_body(SSE, "byte-by-byte")) == len(SSE)
    big = b"x" * 5000
    chunks = mock_upstream.split_body(big, "byte-by-byte")
    assert len(chunks) == mock_upstream.BYTE_BY_BYTE_LIMIT + 1 and b"".join(chunks) == big
    with pytest.raises(ValueError):
        mock_upstream.split_body(SSE, "sideways")


# ---- JSON comparison ------------------------------------------------------------------

@pytest.mark.parametrize(("expected", "actual"), [
    ({"a": 1}, {"a": 1.0}),
    ({"a": True}, {"a": 1}),
    ({"a": 0}, {"a": False}),
    ({"a": None}, {}),
    ({}, {"a": None}),
    ([1, 2], [2, 1]),
    ({"a": [1]}, {"a": [1, 1]}),
    ("x", "y"),
])
def test_json_mismatch_strict(expected, actual):
    assert harness.json_mismatch(expected, actual) is not None


def test_json_match():
    v = {"a": [1, 2.5, {"b": None, "c": True}], "d": "é"}
    assert harness.json_mismatch(v, json.loads(json.dumps(v))) is None


# ---- upstream and client checks -------------------------------------------------------

def _received(method="POST", path="/v1/x?q=1", headers=(("host", "api.example.com"),
              ("authorization", "Bearer k"), ("content-type", "application/json")), body=b'{"model":"m"}'):
    return {"method": method, "path": path, "headers": [list(h) for h in headers],
            "body_b64": base64.b64encode(body).decode()}


GOOD_EXPECT = {"method": "POST", "authority": "api.example.com", "path": "/v1/x?q=1",
               "headers": {"authorization": "Bearer k"}, "headers_one_of": {"authorization": ["Bearer j", "Bearer k"]},
               "absent_headers": ["x-api-key"], "body": {"model": "m"}}


def test_check_upstream_passes():
    assert harness.check_upstream({"expect": GOOD_EXPECT}, [_received()]) == []
    assert harness.check_upstream(None, []) == []


@pytest.mark.parametrize(("change", "needle"), [
    ({"method": "GET"}, "method"),
    ({"authority": "api.other.com"}, "authority"),
    ({"path": "/v1/x"}, "path"),
    ({"headers": {"authorization": "Bearer z"}}, "authorization"),
    ({"headers": {"x-missing": "1"}}, "missing"),
    ({"headers_one_of": {"authorization": ["Bearer a", "Bearer b"]}}, "one of"),
    ({"absent_headers": ["authorization"]}, "must be absent"),
    ({"body": {"model": "n"}}, "upstream body differs"),
    ({"body_text": '{"model": "m"}'}, "upstream body differs at byte"),
])
def test_check_upstream_fails(change, needle):
    problems = harness.check_upstream({"expect": {**GOOD_EXPECT, **change}}, [_received()])
    assert problems and needle in problems[0], problems


def test_check_upstream_counts():
    assert "must not reach" in harness.check_upstream(None, [_received()])[0]
    assert "exactly 1" in harness.check_upstream({"expect": {}}, [])[0]
    assert "exactly 1" in harness.check_upstream({"expect": {}}, [_received(), _received()])[0]
    dup = _received(headers=(("host", "h"), ("authorization", "Bearer k"), ("authorization", "Bearer k")))
    assert "2 times" in harness.check_upstream({"expect": {"headers": {"authorization": "Bearer k"}}}, [dup])[0]
    assert "not JSON" in harness.check_upstream({"expect": {"body": {}}}, [_received(body=b"{")])[0]


def test_check_response():
    ok = harness.Response(400, [("content-type", "application/json")],
                          b'{"error":{"message":"m","type":"invalid_request_error","param":null,"code":null}}')
    assert harness.check_response({"status": 400, "headers": {"content-type": "application/json"},
                                   "error_type": "invalid_request_error"}, ok) == []
    assert "status" in harness.check_response({"status": 200}, ok)[0]
    assert "content-type" in harness.check_response({"headers": {"content-type": "text/plain"}}, ok)[0]
    assert "error.type" in harness.check_response({"error_type": "authentication_error"}, ok)[0]
    assert "client body differs" in harness.check_response({"body": {"error": {}}}, ok)[0]
    assert "differs at byte 0" in harness.check_response({"body_text": "x"}, ok)[0]
    bad = harness.Response(400, [], b'{"error":{"type":"invalid_request_error","param":null,"code":null}}')
    assert "message" in harness.check_response({"error_type": "invalid_request_error"}, bad)[0]
    bad = harness.Response(400, [], b'{"error":{"message":"m","type":"invalid_request_error","code":null}}')
    assert "error.param" in harness.check_response({"error_type": "invalid_request_error"}, bad)[0]
    assert "expected {" in harness.check_response({"error_type": "x"}, harness.Response(400, [], b"[]"))[0]


def test_vm_failure_lines():
    log = "[info] fine\n[critical][wasm] Function: proxy_on_request_body failed: Uncaught RuntimeError: unreachable\n"
    assert len(harness.vm_failure_lines(log)) == 1
    assert harness.vm_failure_lines("[info][wasm] wasm log ai-proxy: provider ok\n") == []


# ---- config helpers -------------------------------------------------------------------

def test_substitute_env():
    text = "# uses ${DOC_ONLY}\nprovider:\n  apiTokens: [${KEY_A}, \"${KEY_B}\"]\n"
    assert envoy_config.substitute_env(text, {"KEY_A": "a", "KEY_B": "b"}) == \
        "# uses ${DOC_ONLY}\nprovider:\n  apiTokens: [a, \"b\"]\n"
    with pytest.raises(SystemExit, match="KEY_B"):
        envoy_config.substitute_env(text, {"KEY_A": "a"})


def test_bootstrap_shape():
    doc = envoy_config.bootstrap(listeners=[envoy_config.ListenerSpec("a", 1, "{}"),
                                            envoy_config.ListenerSpec("b", 2, "{\"x\":1}")],
                                 wasm_path="/m.wasm", upstream="mock")
    wasm = [ls["filter_chains"][0]["filters"][0]["typed_config"]["http_filters"][0]["typed_config"]["config"]
            for ls in doc["static_resources"]["listeners"]]
    assert [w["configuration"]["value"] for w in wasm] == ["{}", "{\"x\":1}"]
    assert {w["vm_config"]["vm_id"] for w in wasm} == {"ai-proxy"}  # one shared VM
    assert all(w["allow_on_headers_stop_iteration"] is True for w in wasm)
    prov = envoy_config.bootstrap(listeners=[envoy_config.ListenerSpec("a", 1, "{}")], wasm_path="/m", upstream="provider")
    names = [f["name"] for f in prov["static_resources"]["listeners"][0]["filter_chains"][0]["filters"][0]
             ["typed_config"]["http_filters"]]
    assert names == ["envoy.filters.http.wasm", "envoy.filters.http.dynamic_forward_proxy", "envoy.filters.http.router"]


def test_yaml_scalars():
    y = envoy_config.to_yaml({"@type": "t", "a": "0.0.0.0", "b": "yes", "c": "60s", "d": True, "e": 3,
                              "f": "multi\nline\n", "g": [], "h": {}, "i": ["*"]})
    assert y == ('"@type": t\na: "0.0.0.0"\nb: "yes"\nc: "60s"\nd: true\ne: 3\nf: |\n  multi\n  line\n'
                 'g: []\nh: {}\ni:\n  - "*"\n')


# ---- live: wrong expectations must fail through the real pipeline ------------------------

@pytest.mark.skipif(MODULE != "noop", reason="live self-test uses the _harness cases (no-op module)")
@pytest.mark.parametrize(("mutate", "needle"), [
    (lambda c: c["upstream"]["expect"].__setitem__("path", "/v1/other"), "upstream: path"),
    (lambda c: c["upstream"]["expect"].__setitem__("authority", "api.wrong.com"), "authority"),
    (lambda c: c["upstream"]["expect"]["headers"].__setitem__("authorization", "Bearer nope"), "authorization"),
    (lambda c: c["upstream"]["expect"]["absent_headers"].append("content-type"), "must be absent"),
    (lambda c: c["upstream"]["expect"]["body"].__setitem__("temperature", 0.0), "upstream body differs"),
    (lambda c: c["response"].__setitem__("status", 201), "client: status"),
    (lambda c: c["response"]["body"].__setitem__("model", "gpt-5"), "client body differs"),
    (lambda c: c.pop("upstream"), "must not reach"),
])
def test_live_mutations_fail(mutate, needle, mock, case_envoy):
    case = next(c for c in harness.load_cases() if c.id == "_harness/json-roundtrip")
    good = harness.run_case(case, "whole", mock, case_envoy.envoy, case_envoy.port_for(case))
    assert good.problems == [], good.problems
    data = copy.deepcopy(case.data)
    mutate(data)
    bad_case = harness.Case(case.id, case.path, data)
    out = harness.run_case(bad_case, "whole", mock, case_envoy.envoy, case_envoy.port_for(case))
    assert any(needle in p for p in out.problems), out.problems


def test_mock_delay_and_reset(mock):
    """The mock's control API straight (no Envoy): delay_ms holds the answer; reset = echo mode."""
    import time
    mock.arm({"status": 201, "headers": {"x-a": "1"}, "body": {"b": 1, "a": 2}}, delay_ms=250)
    t0 = time.monotonic()
    r = harness.send(mock.port, {"method": "POST", "path": "/v1/x?y=1", "headers": {"x-h": "v"}, "body_text": "raw"})
    assert time.monotonic() - t0 >= 0.25
    assert (r.status, r.body, r.header_map()["x-a"]) == (201, b'{"a":2,"b":1}', ["1"])
    got = mock.received()
    assert [(g["method"], g["path"], base64.b64decode(g["body_b64"])) for g in got] == [("POST", "/v1/x?y=1", b"raw")]
    assert ["x-h", "v"] in got[0]["headers"]
    mock.reset()
    assert mock.received() == []
    r = harness.send(mock.port, {"method": "GET", "path": "/v1/models"})
    assert r.status == 200 and json.loads(r.body)["object"] == "list"
