//! Fails when the glue reaches for a part of the proxy-wasm SDK that the audit in `host.rs`
//! has not cleared: a path outside the allowed list (`hostcalls`, `set_log_level`, ...), or a
//! call of one of the SDK traits' helper methods (they `unwrap` host results inside).

use std::path::{Path, PathBuf};

/// The SDK version the audit was made against: an upgrade must redo it.
const AUDITED_SDK: &str = "0.2.5";

/// Every name the glue may use under `proxy_wasm::` (see the list in `host.rs`).
const ALLOWED_PATHS: &[&str] = &[
    "main",
    "set_root_context",
    "traits",
    "Context",
    "RootContext",
    "HttpContext",
    "types",
    "Action",
    "BufferType",
    "ContextType",
    "LogLevel",
    "MapType",
];

/// The helper methods of the SDK's `Context`, `RootContext` and `HttpContext` traits (0.2.5):
/// each calls `hostcalls` and unwraps. Taken from its `traits.rs`: every `fn` that is not a
/// callback (`on_*`) or a constructor our root context provides (`create_http_context`,
/// `get_type`).
const SDK_HELPERS: &[&str] = &[
    "add_http_request_header",
    "add_http_request_header_bytes",
    "add_http_request_trailer",
    "add_http_request_trailer_bytes",
    "add_http_response_header",
    "add_http_response_header_bytes",
    "add_http_response_trailer",
    "add_http_response_trailer_bytes",
    "call_foreign_function",
    "cancel_grpc_call",
    "cancel_grpc_stream",
    "close_downstream",
    "close_grpc_stream",
    "close_upstream",
    "dequeue_shared_queue",
    "dispatch_grpc_call",
    "dispatch_http_call",
    "done",
    "enqueue_shared_queue",
    "get_current_time",
    "get_downstream_data",
    "get_grpc_call_response_body",
    "get_grpc_status",
    "get_grpc_stream_initial_metadata",
    "get_grpc_stream_initial_metadata_value",
    "get_grpc_stream_message",
    "get_grpc_stream_trailing_metadata",
    "get_grpc_stream_trailing_metadata_value",
    "get_http_call_response_body",
    "get_http_call_response_header",
    "get_http_call_response_header_bytes",
    "get_http_call_response_headers",
    "get_http_call_response_headers_bytes",
    "get_http_call_response_trailer",
    "get_http_call_response_trailer_bytes",
    "get_http_call_response_trailers",
    "get_http_call_response_trailers_bytes",
    "get_http_request_body",
    "get_http_request_header",
    "get_http_request_header_bytes",
    "get_http_request_headers",
    "get_http_request_headers_bytes",
    "get_http_request_trailer",
    "get_http_request_trailer_bytes",
    "get_http_request_trailers",
    "get_http_request_trailers_bytes",
    "get_http_response_body",
    "get_http_response_header",
    "get_http_response_header_bytes",
    "get_http_response_headers",
    "get_http_response_headers_bytes",
    "get_http_response_trailer",
    "get_http_response_trailer_bytes",
    "get_http_response_trailers",
    "get_http_response_trailers_bytes",
    "get_plugin_configuration",
    "get_property",
    "get_shared_data",
    "get_upstream_data",
    "get_vm_configuration",
    "open_grpc_stream",
    "register_shared_queue",
    "remove_http_request_header",
    "remove_http_request_trailer",
    "remove_http_response_header",
    "remove_http_response_trailer",
    "remove_shared_data",
    "reset_http_request",
    "reset_http_response",
    "resolve_shared_queue",
    "resume_downstream",
    "resume_http_request",
    "resume_http_response",
    "resume_upstream",
    "send_grpc_response",
    "send_grpc_stream_message",
    "send_http_response",
    "set_downstream_data",
    "set_http_request_body",
    "set_http_request_header",
    "set_http_request_header_bytes",
    "set_http_request_headers",
    "set_http_request_headers_bytes",
    "set_http_request_trailer",
    "set_http_request_trailer_bytes",
    "set_http_request_trailers",
    "set_http_request_trailers_bytes",
    "set_http_response_body",
    "set_http_response_header",
    "set_http_response_header_bytes",
    "set_http_response_headers",
    "set_http_response_headers_bytes",
    "set_http_response_trailer",
    "set_http_response_trailer_bytes",
    "set_http_response_trailers",
    "set_http_response_trailers_bytes",
    "set_property",
    "set_shared_data",
    "set_tick_period",
    "set_upstream_data",
];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().map(Result::unwrap) {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file without comments (line comments and `/* */`) and without the contents
/// of string literals (kept as `""`).
fn code(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut in_str, mut depth) = (false, 0usize);
    while let Some(c) = chars.next() {
        if depth > 0 {
            if c == '*' && chars.peek() == Some(&'/') {
                chars.next();
                depth -= 1;
            } else if c == '/' && chars.peek() == Some(&'*') {
                chars.next();
                depth += 1;
            }
            continue;
        }
        if in_str {
            if c == '\\' {
                chars.next();
            } else if c == '"' {
                in_str = false;
                out.push(c);
            }
            continue;
        }
        match (c, chars.peek()) {
            ('/', Some('/')) => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                depth = 1;
            }
            ('"', _) => {
                in_str = true;
                out.push(c);
            }
            // A char literal of a quote is not the start of a string.
            ('\'', Some('"')) => {
                out.push(c);
                out.extend(chars.next());
            }
            _ => out.push(c),
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The names used under each `proxy_wasm::` in `code`, `use` groups expanded.
fn sdk_names(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in code.match_indices("proxy_wasm::") {
        let rest = code.get(at + "proxy_wasm::".len()..).unwrap_or("");
        // A path runs over identifiers, `::`, and `{...}` groups (with commas and spaces inside).
        let (mut depth, mut end) = (0usize, rest.len());
        for (i, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth > 0 => depth -= 1,
                ':' => {}
                ',' | ' ' | '\n' if depth > 0 => {}
                c if is_ident(c) => {}
                _ => {
                    end = i;
                    break;
                }
            }
        }
        let path = rest.get(..end).unwrap_or("");
        names.extend(path.split(|c: char| !is_ident(c)).filter(|s| !s.is_empty() && *s != "self").map(String::from));
    }
    names
}

/// Calls of SDK helper methods: `.helper(`, and `Trait::helper(` (the same through a path).
fn helper_calls(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for helper in SDK_HELPERS {
        for (at, _) in code.match_indices(helper) {
            let before = code.get(..at).and_then(|s| s.chars().next_back());
            let after = code.get(at + helper.len()..).unwrap_or("");
            let called = after.trim_start().starts_with('(');
            let receiver = matches!(before, Some('.')) || code.get(..at).is_some_and(|s| s.ends_with("::"));
            if called && receiver {
                found.push((*helper).to_string());
            }
        }
    }
    found
}

#[test]
fn glue_uses_only_the_audited_sdk() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut problems = Vec::new();
    for file in &files {
        if file.ends_with("host/audit.rs") {
            continue;
        }
        let code = code(&std::fs::read_to_string(file).unwrap());
        for name in sdk_names(&code) {
            if !ALLOWED_PATHS.contains(&name.as_str()) {
                problems.push(format!("{}: proxy_wasm::…{name} is not in the audited list (host.rs)", file.display()));
            }
        }
        for helper in helper_calls(&code) {
            problems.push(format!("{}: calls the SDK helper `{helper}`, which unwraps host results", file.display()));
        }
        if code.contains("hostcalls") {
            problems.push(format!("{}: uses the SDK's hostcalls (they panic on host statuses)", file.display()));
        }
    }
    assert!(files.len() >= 5, "found only {files:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_audit_matches_the_locked_sdk() {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock")).unwrap();
    let locked = lock.split("[[package]]").find(|p| p.contains("name = \"proxy-wasm\"")).unwrap();
    assert!(
        locked.contains(&format!("version = \"{AUDITED_SDK}\"")),
        "proxy-wasm is no longer {AUDITED_SDK}: audit the new SDK (host.rs) and update this test\n{locked}"
    );
}

/// The checks themselves catch what they must (a test that cannot fail is no test).
#[test]
fn the_checks_can_fail() {
    let bad = "use proxy_wasm::{hostcalls, traits::{Context, HttpContext}};\n\
               fn f(&self) { let h = self.get_http_request_header(\"a\"); proxy_wasm::set_log_level(x); \
               HttpContext::set_http_response_body(self, 0, 0, b\"\"); }";
    let names = sdk_names(&code(bad));
    assert!(names.contains(&"hostcalls".to_string()) && names.contains(&"set_log_level".to_string()), "{names:?}");
    assert_eq!(helper_calls(&code(bad)), ["get_http_request_header", "set_http_response_body"]);
    let fine = "// self.get_http_request_header(\"a\") in a comment\n/* proxy_wasm::hostcalls */ fn done_x() {}\n\
                let s = \"self.done() \\\" proxy_wasm::hostcalls\"; let q = '\"'; self.reply();";
    let fine_code = code(fine);
    assert!(sdk_names(&fine_code).is_empty(), "{fine_code}");
    assert!(helper_calls(&fine_code).is_empty(), "{fine_code}");
    assert!(!fine_code.contains("hostcalls"), "{fine_code}");
}
