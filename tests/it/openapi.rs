//! The committed OpenAPI document is what the code generates, and what the server serves;
//! it lists each path once, and exactly the operations the code routes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::helpers::{TestServer, strict};

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/convo.yaml");

/// Regenerate with `CONVO_BLESS=1 cargo test -p convo-tests openapi`.
#[test]
fn committed_spec_is_fresh() {
    let generated = convo_homeserver::api::spec_yaml();
    if std::env::var_os("CONVO_BLESS").is_some() {
        std::fs::write(SPEC_PATH, &generated).expect("write openapi/convo.yaml");
    }
    let committed = std::fs::read_to_string(SPEC_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi/convo.yaml is stale: run `CONVO_BLESS=1 cargo test -p convo-tests openapi` and commit it"
    );
}

/// The committed document, parsed by a parser that refuses repeated keys.
fn committed() -> Value {
    let text = std::fs::read_to_string(SPEC_PATH).expect("openapi/convo.yaml");
    strict::yaml(&text).unwrap_or_else(|e| panic!("openapi/convo.yaml: {e}"))
}

#[test]
fn committed_document_repeats_no_key() {
    committed();
    strict::yaml(&convo_homeserver::api::spec_yaml())
        .unwrap_or_else(|e| panic!("generated document: {e}"));
}

#[tokio::test]
async fn served_document_is_the_committed_one() {
    let server = TestServer::spawn().await;
    let served = server
        .client
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let served = strict::json(&served.text().await.unwrap())
        .unwrap_or_else(|e| panic!("served document: {e}"));
    assert_eq!(served, committed());
    let docs = server
        .client
        .get(server.url("/api/docs"))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.unwrap().contains("<html"));
}

#[test]
fn every_operation_has_an_id_and_documents_its_errors() {
    let spec = committed();
    let paths = spec["paths"].as_object().expect("paths");
    assert!(paths.len() >= 10);
    let mut ids = BTreeSet::new();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap_or("");
            assert!(!id.is_empty(), "{method} {path} has no operationId");
            assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
            let responses = operation["responses"].as_object().unwrap();
            let documents = |status: &str| responses.contains_key(status);
            let mut needed = vec!["500", "503"];
            if operation.get("security").is_some() {
                needed.push("401");
            }
            if operation.get("requestBody").is_some() {
                needed.extend(["400", "413", "415"]);
            }
            if path.contains('{') {
                // Path parameters are bounded and parsed: a bad one is a 400.
                needed.push("400");
            }
            for status in needed {
                assert!(documents(status), "{id} does not document {status}");
            }
            // The router answers 405, and 404 for unknown routes; no operation does.
            assert!(!documents("405"), "{id} documents 405");
            for (status, response) in responses {
                if status.starts_with('2') {
                    continue;
                }
                assert_eq!(
                    response["content"]["application/json; charset=utf-8"]["schema"]["$ref"],
                    "#/components/schemas/ErrorBody",
                    "{id} {status} is not the error body"
                );
                if status == "429" {
                    assert_eq!(response["headers"]["RETRY-AFTER"]["required"], true, "{id}");
                }
            }
        }
    }
}

/// The variants of `ErrorCode`, read from the source, in the wire's SCREAMING_SNAKE_CASE.
fn error_codes_in_the_source() -> BTreeSet<String> {
    let source = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../homeserver/src/error.rs"),
    )
    .expect("error.rs");
    let body = source
        .split("pub enum ErrorCode {")
        .nth(1)
        .and_then(|rest| rest.split("\n}").next())
        .expect("the ErrorCode enum");
    body.lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("//") && !line.starts_with('#') && line.ends_with(','))
        .map(|line| {
            let name = line.trim_end_matches(',');
            let mut wire = String::new();
            for (i, c) in name.char_indices() {
                if c.is_uppercase() && i > 0 {
                    wire.push('_');
                }
                wire.push(c.to_ascii_uppercase());
            }
            wire
        })
        .collect()
}

#[test]
fn the_error_code_enum_is_complete_and_each_code_has_a_documented_status() {
    let spec = committed();
    let documented: BTreeSet<String> = spec["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .expect("ErrorCode enum")
        .iter()
        .map(|c| c.as_str().expect("code").to_owned())
        .collect();
    let source = error_codes_in_the_source();
    assert!(source.len() > 30, "found only {source:?}");
    assert_eq!(documented, source);
    let statuses: BTreeSet<&str> = spec["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .flat_map(|operation| operation["responses"].as_object().unwrap().keys())
        .map(String::as_str)
        .collect();
    for code in &documented {
        let parsed: convo_homeserver::error::ErrorCode =
            poem_openapi::types::ParseFromJSON::parse_from_json(Some(Value::String(code.clone())))
                .unwrap_or_else(|_| panic!("{code} does not parse"));
        let status = parsed.status().as_u16().to_string();
        // The router's own answers (unknown route, wrong method) belong to no operation.
        let routers = matches!(code.as_str(), "NOT_FOUND" | "METHOD_NOT_ALLOWED");
        assert!(
            routers || statuses.contains(status.as_str()),
            "{code} answers {status}, which no operation documents"
        );
    }
}

/// The HTTP methods an OpenAPI 3.0 path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every (method, path) the document describes, e.g. `("POST", "/api/v1/rooms")`.
fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for key in item.as_object().expect("path item").keys() {
            assert!(
                METHODS.contains(&key.as_str()) || key == "parameters",
                "{path} has an unexpected key `{key}`"
            );
            if METHODS.contains(&key.as_str()) {
                operations.insert((key.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read source folder") {
        let path = entry.expect("folder entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The text of each `#[oai(...)]` attribute in `source` (between its parentheses).
fn oai_attributes(source: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find("#[oai(") {
        let body = &rest[start + "#[oai(".len()..];
        let (mut depth, mut in_string, mut end) = (1, false, body.len());
        for (i, c) in body.char_indices() {
            match c {
                '"' => in_string = !in_string,
                '(' if !in_string => depth += 1,
                ')' if !in_string => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        found.push(&body[..end]);
        rest = &body[end..];
    }
    found
}

/// The string values of `key = "…"` in an attribute's text.
fn values<'a>(attribute: &'a str, key: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = attribute;
    while let Some(at) = rest.find(key) {
        let after = rest[at + key.len()..].trim_start();
        let boundary = at == 0 || !rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        rest = &rest[at + key.len()..];
        if let Some(value) = after.strip_prefix('=').map(str::trim_start)
            && boundary
            && let Some(value) = value.strip_prefix('"')
        {
            found.push(&value[..value.find('"').expect("closing quote")]);
        }
    }
    found
}

/// Every (method, path) routed by an operation of `homeserver/src/api`, read from the source
/// (`#[oai(path = "/rooms/:room_id", method = "get", …)]`), not from poem-openapi.
fn routed_operations() -> BTreeSet<(String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../homeserver/src/api");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut operations = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("read source");
        for attribute in oai_attributes(&source) {
            let (paths, methods) = (values(attribute, "path"), values(attribute, "method"));
            if paths.is_empty() && methods.is_empty() {
                continue;
            }
            assert!(
                paths.len() == 1 && !methods.is_empty(),
                "{}: an operation needs one path and a method: {attribute}",
                file.display()
            );
            let path = paths[0]
                .split('/')
                .map(|segment| match segment.strip_prefix(':') {
                    Some(name) => format!("{{{name}}}"),
                    None => {
                        assert!(
                            !segment.contains(['*', '<', '{']),
                            "{}: unexpected path segment {segment}",
                            file.display()
                        );
                        segment.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            for method in methods {
                let added = operations.insert((method.to_uppercase(), format!("/api/v1{path}")));
                assert!(added, "{method} {path} is routed twice");
            }
        }
    }
    operations
}

#[test]
fn the_source_scan_finds_operations() {
    let attribute = r#"
        path = "/rooms/:room_id",
        method = "get",
        operation_id = "get_room"
    "#;
    assert_eq!(values(attribute, "path"), ["/rooms/:room_id"]);
    assert_eq!(values(attribute, "method"), ["get"]);
    assert_eq!(
        oai_attributes(
            r#"#[oai(validator(max_length = 5))] x #[oai(path = "/a", method = "put")]"#
        ),
        [
            "validator(max_length = 5)",
            r#"path = "/a", method = "put""#
        ]
    );
    let routed = routed_operations();
    assert!(routed.len() >= 33, "found only {} operations", routed.len());
    assert!(routed.contains(&("POST".into(), "/api/v1/rooms/{room_id}/messages".into())));
}

#[test]
fn the_document_has_exactly_the_routed_operations() {
    let routed = routed_operations();
    for (name, doc) in [
        ("openapi/convo.yaml", committed()),
        (
            "the generated document",
            strict::yaml(&convo_homeserver::api::spec_yaml()).expect("generated document"),
        ),
    ] {
        let documented = documented_operations(&doc);
        let missing: Vec<_> = routed.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&routed).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: routed but not documented: {missing:?}; documented but not routed: {extra:?}"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let server = TestServer::spawn().await;
    for (method, path) in documented_operations(&committed()) {
        let url = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let reply = server.call(method.clone(), &url, None, None).await;
        assert!(
            !matches!(reply.code(), "NOT_FOUND" | "METHOD_NOT_ALLOWED"),
            "{method} {path} is not routed: {} {:?}",
            reply.status,
            reply.body
        );
    }
}
