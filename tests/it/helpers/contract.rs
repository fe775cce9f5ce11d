//! Every answer the tests receive is checked against `openapi/convo.yaml`: the operation is
//! found by method and path template, and its status, content type, required headers and
//! body must be what the document says for it (see [`super::schema`] for how strictly).

use std::sync::OnceLock;

use reqwest::Method;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::Value;

use super::{schema, strict};

const SPEC_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/convo.yaml");

/// The committed document, read once per test process.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let text = std::fs::read_to_string(SPEC_PATH).expect("openapi/convo.yaml");
        strict::yaml(&text).unwrap_or_else(|e| panic!("openapi/convo.yaml: {e}"))
    })
}

/// The documented path template that `path` (e.g. `/api/v1/rooms/!a:b/messages`) falls
/// under, as the router picks it: literal segments win over parameters.
fn template<'d>(doc: &'d Value, path: &str) -> Option<(&'d str, &'d Value)> {
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .iter()
        .filter_map(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') && part.ends_with('}') {
                    if segment.is_empty() {
                        return None;
                    }
                } else if part == segment {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.as_str(), item))
        })
        .max_by_key(|(literal, _, _)| *literal)
        .map(|(_, template, item)| (template, item))
}

/// Whether a path is the REST API's, as opposed to the document, docs, WebSocket or the
/// operational endpoints.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/v1/") && !matches!(path, "/api/v1/openapi.json" | "/api/v1/ws")
}

/// Checks one answer against the document. `body` is the raw text of the answer.
pub fn check(
    method: &Method,
    path: &str,
    status: u16,
    headers: &HeaderMap,
    body: &str,
) -> Result<(), String> {
    if !is_api(path) {
        return Ok(());
    }
    let doc = document();
    let found = template(doc, path)
        .and_then(|(template, item)| Some((template, item.get(method.as_str().to_lowercase())?)));
    let Some((template, operation)) = found else {
        // No operation: the router answered (or the edge refused the request first, 400).
        // Its errors still have the one error body.
        if !matches!(status, 400 | 404 | 405) {
            return Err(format!(
                "{method} {path}: no documented operation, yet the answer is {status}"
            ));
        }
        let error_body = serde_json::json!({"$ref": "#/components/schemas/ErrorBody"});
        return check_json(doc, &error_body, headers, body)
            .map_err(|e| format!("{method} {path} (no operation), status {status}: {e}"));
    };
    let id = operation["operationId"].as_str().unwrap_or("?");
    let name = format!("{id} ({method} {template}), status {status}");
    let responses = &operation["responses"];
    let range = format!("{}XX", status / 100);
    let Some(response) = [status.to_string(), range, "default".into()]
        .iter()
        .find_map(|key| responses.get(key))
    else {
        let documented: Vec<_> = responses
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        return Err(format!(
            "{name}: the status is not documented (documented: {documented:?}); body: {body}"
        ));
    };
    for (header, spec) in response["headers"].as_object().into_iter().flatten() {
        let value = headers.get(header.as_str()).and_then(|v| v.to_str().ok());
        match value {
            None if spec["required"] == true => {
                return Err(format!("{name}: required header {header} is missing"));
            }
            Some(value)
                if spec["schema"]["type"] == "integer" && value.parse::<i128>().is_err() =>
            {
                return Err(format!(
                    "{name}: header {header} is not an integer: {value:?}"
                ));
            }
            _ => {}
        }
    }
    match response["content"].as_object() {
        Some(content) if !content.is_empty() => {
            let received = headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let media = content
                .iter()
                .find(|(documented, _)| essence(documented) == essence(received));
            let Some((_, media)) = media else {
                let documented: Vec<_> = content.keys().collect();
                return Err(format!(
                    "{name}: content type {received:?} is not documented ({documented:?}); body: {body}"
                ));
            };
            check_json(doc, &media["schema"], headers, body).map_err(|e| format!("{name}: {e}"))
        }
        _ if body.is_empty() => Ok(()),
        _ => Err(format!(
            "{name}: the document says no body, but there is one: {body}"
        )),
    }
}

/// Parses `body` as JSON (refusing repeated keys) and validates it against `schema`.
fn check_json(doc: &Value, schema: &Value, headers: &HeaderMap, body: &str) -> Result<(), String> {
    let received = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if essence(received) != "application/json" {
        return Err(format!(
            "content type {received:?} is not JSON; body: {body}"
        ));
    }
    let value = strict::json(body).map_err(|e| format!("the body is not JSON ({e}): {body}"))?;
    schema::validate(doc, schema, &value).map_err(|errors| {
        format!(
            "the body does not match the document:\n  - {}\nbody: {value}",
            errors.join("\n  - ")
        )
    })
}

/// A media type without its parameters, lowercased: `application/json; charset=utf-8` →
/// `application/json`.
fn essence(media_type: &str) -> String {
    media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

#[test]
fn paths_fall_under_their_templates() {
    let doc = document();
    let of = |path: &str| template(doc, path).map(|(t, _)| t);
    assert_eq!(of("/api/v1/rooms/direct"), Some("/api/v1/rooms/direct"));
    assert_eq!(of("/api/v1/rooms/!a:b"), Some("/api/v1/rooms/{room_id}"));
    assert_eq!(of("/api/v1/users/me"), Some("/api/v1/users/me"));
    assert_eq!(of("/api/v1/users/@a:b"), Some("/api/v1/users/{user_id}"));
    assert_eq!(
        of("/api/v1/rooms/!a:b/messages/$e/receipts"),
        Some("/api/v1/rooms/{room_id}/messages/{event_id}/receipts")
    );
    assert_eq!(of("/api/v1/rooms/"), None);
    assert_eq!(of("/api/v1/nope"), None);
}

#[test]
fn answers_that_break_the_document_are_refused() {
    let json = |headers: &mut HeaderMap| {
        headers.insert(
            CONTENT_TYPE,
            "application/json; charset=utf-8".parse().unwrap(),
        );
    };
    let mut headers = HeaderMap::new();
    json(&mut headers);
    let get = Method::GET;
    let ok = r#"{"code": "ROOM_NOT_FOUND", "message": "no such room"}"#;
    check(&get, "/api/v1/rooms/!a:b", 404, &headers, ok).unwrap();
    let err = check(
        &get,
        "/api/v1/rooms/!a:b",
        404,
        &headers,
        r#"{"code": "NOPE", "message": "x"}"#,
    )
    .unwrap_err();
    assert!(
        err.contains("get_room (GET /api/v1/rooms/{room_id}), status 404"),
        "{err}"
    );
    assert!(err.contains("/code: \"NOPE\" is not one of"), "{err}");
    let err = check(&get, "/api/v1/rooms/!a:b", 418, &headers, ok).unwrap_err();
    assert!(err.contains("the status is not documented"), "{err}");
    let err = check(&get, "/api/v1/rooms/!a:b", 404, &HeaderMap::new(), ok).unwrap_err();
    assert!(err.contains("content type \"\" is not documented"), "{err}");
    let err = check(&Method::POST, "/api/v1/auth/logout", 204, &headers, "{}").unwrap_err();
    assert!(err.contains("says no body"), "{err}");
    check(
        &Method::POST,
        "/api/v1/auth/logout",
        204,
        &HeaderMap::new(),
        "",
    )
    .unwrap();
    // The router's own answers: no operation, the error body all the same.
    check(&Method::PATCH, "/api/v1/rooms/!a:b", 405, &headers, ok).unwrap();
    check(&get, "/api/v1/nope", 404, &headers, ok).unwrap();
    assert!(check(&get, "/api/v1/nope", 404, &headers, "{}").is_err());
    assert!(check(&get, "/api/v1/nope", 200, &headers, ok).is_err());
    // Outside the REST API nothing is checked.
    check(&get, "/healthz", 200, &HeaderMap::new(), "ok").unwrap();
}
