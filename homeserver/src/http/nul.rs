//! NUL characters are refused at the edge: PostgreSQL cannot store one in text (the query
//! fails, which would answer 500) and no name, id or message needs one. [`contains_nul`]
//! looks through parsed JSON (the gateway's frames use it too); [`check_request`] through a
//! REST request's percent-decoded path and query and its JSON body.

use poem::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use poem::{Body, IntoResponse as _, Request};
use serde_json::Value;

use crate::api::error::ApiError;
use crate::error::{Error, ErrorCode};

/// Whether any string in `value`, or any key of its objects, holds a NUL character.
pub fn contains_nul(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(contains_nul),
        Value::Object(fields) => fields
            .iter()
            .any(|(key, value)| key.contains('\0') || contains_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Whether `text` percent-decodes to something with a NUL in it. `%00` is the only way to
/// write one, and its `%` cannot belong to an escape before it (`%` is not a hex digit), so
/// finding it is enough: `%2500` (a `%` then `00`) is rightly not a match.
fn percent_decodes_to_nul(text: &str) -> bool {
    text.contains('\0') || text.contains("%00")
}

/// Whether a JSON text holds a NUL in a string: `\u0000` is the only way to write one (a raw
/// NUL is no valid JSON), and when it is there, parsing tells it from an escaped backslash
/// followed by `u0000`. A body that is not JSON is left to the endpoint to refuse.
fn json_has_nul(body: &[u8]) -> bool {
    body.windows(6).any(|w| w == br"\u0000")
        && serde_json::from_slice::<Value>(body).is_ok_and(|value| contains_nul(&value))
}

/// `req`, unless a NUL is in its path, its query or (for `/api/v1`, read up to
/// `max_body_bytes`) its JSON body: then the error to answer with.
pub async fn check_request(mut req: Request, max_body_bytes: usize) -> poem::Result<Request> {
    if percent_decodes_to_nul(req.uri().path()) {
        return Err(refused("path"));
    }
    if req.uri().query().is_some_and(percent_decodes_to_nul) {
        return Err(refused("query"));
    }
    if !req.uri().path().starts_with("/api/v1/") || !has_body(&req) {
        return Ok(req);
    }
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > max_body_bytes as u64) {
        // Refused as too large further in, without reading it.
        return Ok(req);
    }
    let body = req.take_body().into_bytes_limit(max_body_bytes).await?;
    if json_has_nul(&body) {
        return Err(refused("body"));
    }
    req.set_body(Body::from_bytes(body));
    Ok(req)
}

fn has_body(req: &Request) -> bool {
    req.headers().contains_key(TRANSFER_ENCODING)
        || req
            .headers()
            .get(CONTENT_LENGTH)
            .is_some_and(|length| length.as_bytes() != b"0")
}

fn refused(part: &str) -> poem::Error {
    let error = Error::new(
        ErrorCode::InvalidRequest,
        format!(
            "the request {part} contains a NUL character (U+0000), which no text here may hold"
        ),
    );
    poem::Error::from_response(ApiError::from(error).into_response())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nul_is_found_in_strings_and_keys_at_any_depth() {
        assert!(!contains_nul(
            &json!({ "a": ["b", 1, null, true, { "c": "d" }] })
        ));
        assert!(contains_nul(&json!("a\u{0}b")));
        assert!(contains_nul(&json!({ "a": [1, { "b": "\u{0}" }] })));
        assert!(contains_nul(&json!({ "a\u{0}": 1 })));
    }

    #[test]
    fn percent_encoded_nul_is_found_and_nothing_else() {
        assert!(percent_decodes_to_nul("/api/v1/auth/devices/a%00b"));
        assert!(percent_decodes_to_nul("x=%%00"));
        assert!(!percent_decodes_to_nul("/api/v1/auth/devices/a%2500b"));
        assert!(!percent_decodes_to_nul("x=%20%30%30&y=00%0"));
    }

    #[test]
    fn json_nul_escapes_are_told_from_escaped_backslashes() {
        assert!(json_has_nul(br#"{"name":"a\u0000b"}"#));
        assert!(json_has_nul(br#"{"a\u0000":1}"#));
        assert!(!json_has_nul(br#"{"name":"a\\u0000b"}"#));
        assert!(json_has_nul(br#"{"name":"a\\\u0000b"}"#));
        assert!(!json_has_nul(br#"{"name":"plain"}"#));
        assert!(!json_has_nul(b"not json \\u0000"));
    }
}
