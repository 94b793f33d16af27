use super::*;

#[test]
fn plain_string_literals_are_only_what_any_parser_accepts_as_is() {
    let ok = [(r#""""#, 2), (r#""abc" tail"#, 5), (r#""a\"b\\c\/\n\t""#, 15), ("\"é😀\"}", 8)];
    for (s, len) in ok {
        assert_eq!(plain_string_literal(s), Some(len), "{s}");
        assert!(serde_json::from_str::<String>(&s[..len]).is_ok(), "{s}");
    }
    for s in [r#""\u0041""#, r#""open"#, "\"tab\there\"", r#""\x""#, r#"abc"#, "", r#""\"#] {
        assert_eq!(plain_string_literal(s), None, "{s:?}");
    }
}

#[test]
fn strings_are_escaped_as_serde_json_escapes_them() {
    // Every special byte at every position of strings around the 8-byte word size, among
    // plain ASCII and multi-byte UTF-8.
    let specials = ["\"", "\\", "\n", "\r", "\t", "\u{8}", "\u{c}", "\u{0}", "\u{1f}", "\u{7f}", "/", "é", "€", "😀"];
    for len in 0..20 {
        for special in specials {
            for at in 0..=len {
                let s: String = (0..len).map(|i| if i == at { special } else { "a" }).collect();
                let mut out = Vec::new();
                write_str(&mut out, &s);
                assert_eq!(out, serde_json::to_vec(&s).unwrap(), "{s:?}");
            }
        }
    }
    let mixed = "tab\there \"quoted\" back\\slash \u{1}\u{2} newline\n and a long clean run of text";
    let mut out = Vec::new();
    write_str(&mut out, mixed);
    assert_eq!(out, serde_json::to_vec(mixed).unwrap());
}

/// An array read as objects in one pass gives each element the view its own parse gives:
/// the same bytes, keys and spans (so edits work on it), whatever the spacing, nesting,
/// braces inside strings or escaped keys.
#[test]
fn objects_of_an_array() {
    let text = r#"[ {"a":"}{","b":{"c":[{}]}} ,{}, {"k\"ey" : 1 , "z":"\u007d"}
        ,{ "x" : [ ] }]"#;
    let raw: &RawValue = serde_json::from_str(text).unwrap();
    let views = as_objects(raw).unwrap();
    let each = as_array(raw).unwrap();
    assert_eq!(views.len(), each.len());
    for (view, raw) in views.iter().zip(&each) {
        let own = ObjectView::parse(raw.get().as_bytes()).unwrap();
        assert_eq!(view.input(), own.input());
        let shape =
            |v: &ObjectView<'_>| v.members().iter().map(|m| (m.key.to_string(), m.span.clone())).collect::<Vec<_>>();
        assert_eq!(shape(view), shape(&own));
        assert_eq!(
            view.apply(&[Edit::Set("n".into(), b"2".to_vec())]),
            own.apply(&[Edit::Set("n".into(), b"2".to_vec())])
        );
    }
    assert_eq!(views[2].get_u64("k\"ey"), Ok(Some(1)));
    for bad in [r#"[{}, 1]"#, r#"{"a":1}"#, r#"["{"]"#, "[[]]"] {
        let raw: &RawValue = serde_json::from_str(bad).unwrap();
        assert!(as_objects(raw).is_err(), "{bad}");
    }
    assert!(as_objects(serde_json::from_str("[]").unwrap()).unwrap().is_empty());
}

#[test]
fn typed_reads() {
    let view =
        ObjectView::parse(br#"{"s":"a\nb","n":7,"neg":-1,"f":1.5,"o":{"k":[1,{"x":null}]},"a":[1,"2"],"z":null}"#)
            .unwrap();
    assert_eq!(view.get_str("s").unwrap().as_deref(), Some("a\nb"));
    assert_eq!(view.get_u64("n"), Ok(Some(7)));
    assert_eq!(view.get_u64("neg"), Err(WrongType));
    assert_eq!(view.get_u64("f"), Err(WrongType));
    assert_eq!(view.get_u64("z"), Ok(None));
    assert_eq!(view.get_u64("missing"), Ok(None));
    let o = view.get_object("o").unwrap().unwrap();
    assert_eq!(o.get_array("k").unwrap().unwrap().len(), 2);
    assert!(view.get_object("a").is_err() && view.get_object("s").is_err());
    let a = view.get_array("a").unwrap().unwrap();
    assert_eq!((as_u64(a[0]), as_str(a[1]).as_deref()), (Ok(1), Ok("2")));
    assert!(view.get_array("o").is_err() && view.value("z").is_none());
}

fn apply(doc: &str, edits: &[Edit]) -> String {
    String::from_utf8(ObjectView::parse(doc.as_bytes()).unwrap().apply(edits)).unwrap()
}

fn set(k: &str, v: &str) -> Edit {
    Edit::Set(k.into(), v.as_bytes().to_vec())
}

#[test]
fn replaces_in_place_keeping_everything_else() {
    let doc = r#"{ "model" : "gpt-4", "temperature":0, "x":1e2, "z":{"a":[1,2]} }"#;
    assert_eq!(
        apply(doc, &[set("model", "\"deepseek-chat\"")]),
        r#"{ "model" : "deepseek-chat", "temperature":0, "x":1e2, "z":{"a":[1,2]} }"#
    );
}

#[test]
fn appends_missing_members() {
    assert_eq!(apply(r#"{"a":1}"#, &[set("b", "true")]), r#"{"a":1,"b":true}"#);
    assert_eq!(apply(r#"{ }"#, &[set("b", "true")]), r#"{ "b":true}"#);
    assert_eq!(apply("{\"a\":1}\n", &[set("q\"k", "1")]), "{\"a\":1,\"q\\\"k\":1}\n");
}

#[test]
fn removes_members_anywhere() {
    let doc = r#"{"a":1, "b":2, "c":3}"#;
    assert_eq!(apply(doc, &[Edit::Remove("a".into())]), r#"{"b":2, "c":3}"#);
    assert_eq!(apply(doc, &[Edit::Remove("b".into())]), r#"{"a":1, "c":3}"#);
    assert_eq!(apply(doc, &[Edit::Remove("c".into())]), r#"{"a":1, "b":2}"#);
    assert_eq!(apply(r#"{"a":1}"#, &[Edit::Remove("a".into())]), r#"{}"#);
    for out in [
        apply(doc, &[Edit::Remove("a".into()), Edit::Remove("c".into())]),
        apply(doc, &[Edit::Remove("a".into()), Edit::Remove("b".into()), Edit::Remove("c".into())]),
    ] {
        serde_json::from_str::<serde_json::Value>(&out).unwrap();
    }
}

#[test]
fn escaped_keys_are_matched_unescaped() {
    let doc = r#"{"mo\u0064el":"x"}"#;
    let view = ObjectView::parse(doc.as_bytes()).unwrap();
    assert_eq!(view.get_str("model").unwrap().as_deref(), Some("x"));
}

#[test]
fn rejects_non_objects_and_garbage() {
    assert_eq!(ObjectView::parse(b"[1]").unwrap_err(), ViewError::NotAnObject);
    assert_eq!(ObjectView::parse(b" 3 ").unwrap_err(), ViewError::NotAnObject);
    assert!(matches!(ObjectView::parse(b"{\"a\":}").unwrap_err(), ViewError::Malformed(_)));
    assert!(matches!(ObjectView::parse(b"{} x").unwrap_err(), ViewError::Malformed(_)));
    assert!(matches!(ObjectView::parse(b"").unwrap_err(), ViewError::Malformed(_)));
    assert!(matches!(ObjectView::parse(&[0xff, 0xfe]).unwrap_err(), ViewError::Malformed(_)));
}

#[test]
fn typed_getters() {
    let view = ObjectView::parse(br#"{"s":"v","b":false,"n":1,"z":null}"#).unwrap();
    assert_eq!(view.get_str("s").unwrap().as_deref(), Some("v"));
    assert_eq!(view.get_str("n"), Err(WrongType));
    assert_eq!(view.get_str("z"), Ok(None));
    assert_eq!(view.get_bool("b"), Ok(Some(false)));
    assert_eq!(view.get_bool("s"), Err(WrongType));
    assert_eq!(view.get_bool("missing"), Ok(None));
}

#[test]
fn set_path_nests_and_respects_overwrite() {
    let doc = br#"{"stream":true,"stream_options":{"x":1}}"#;
    let out = set_path(doc, &["stream_options", "include_usage"], b"true", true).unwrap();
    assert_eq!(out, br#"{"stream":true,"stream_options":{"x":1,"include_usage":true}}"#);
    let out = set_path(br#"{"a":1}"#, &["p", "q"], b"2", true).unwrap();
    assert_eq!(out, br#"{"a":1,"p":{"q":2}}"#);
    let out = set_path(br#"{"t":0.5}"#, &["t"], b"1", false).unwrap();
    assert_eq!(out, br#"{"t":0.5}"#);
    let out = set_path(br#"{"p":3}"#, &["p", "q"], b"2", true).unwrap();
    assert_eq!(out, br#"{"p":{"q":2}}"#);
}
