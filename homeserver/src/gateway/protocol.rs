//! The gateway's frames. Clients send JSON objects with a `type` and an `id`; every request is
//! answered by an `ack` or an `error` with the same `id`. The server also pushes `event`
//! (a new message for another member carries `"notify": true`), `receipts`, `typing`,
//! `presence`, `unread` and `snapshot` frames.

use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, ErrorCode};

/// A frame from a client.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// First frame: authenticate and, when reconnecting, resume after `since`.
    Hello {
        id: String,
        token: String,
        since: Option<i64>,
    },
    Send {
        id: String,
        room_id: String,
        txn_id: String,
        text: String,
        reply_to: Option<String>,
    },
    Edit {
        id: String,
        room_id: String,
        txn_id: String,
        event_id: String,
        text: String,
    },
    Delete {
        id: String,
        room_id: String,
        txn_id: String,
        event_id: String,
    },
    React {
        id: String,
        room_id: String,
        txn_id: String,
        event_id: String,
        emoji: String,
    },
    /// Everything up to stream position `pos` has arrived on this device. Without an `id`
    /// it gets no answer (a client acknowledges often; errors it cannot pair are not sent).
    Received {
        id: Option<String>,
        pos: i64,
    },
    /// I have read `room_id` up to `seq`.
    Read {
        id: String,
        room_id: String,
        seq: i64,
    },
    Typing {
        id: String,
        room_id: String,
        typing: bool,
    },
    Ping {
        id: String,
    },
}

impl ClientFrame {
    /// The request id; `None` only for a `received` sent without one.
    pub fn id(&self) -> Option<&str> {
        match self {
            Self::Hello { id, .. }
            | Self::Send { id, .. }
            | Self::Edit { id, .. }
            | Self::Delete { id, .. }
            | Self::React { id, .. }
            | Self::Read { id, .. }
            | Self::Typing { id, .. }
            | Self::Ping { id } => Some(id),
            Self::Received { id, .. } => id.as_deref(),
        }
    }
}

/// Every client frame type, as documented in `openapi/asyncapi.yaml`.
pub const CLIENT_FRAMES: &[&str] = &[
    "hello", "send", "edit", "delete", "react", "received", "read", "typing", "ping",
];

/// Every frame type the server sends, as documented in `openapi/asyncapi.yaml`.
pub const SERVER_FRAMES: &[&str] = &[
    "ack", "error", "snapshot", "synced", "event", "receipts", "unread", "typing", "presence",
];

/// The `type` of a client frame. Exhaustive: a new frame must be named here, and so in
/// [`CLIENT_FRAMES`] and the AsyncAPI document (tests check both).
pub fn frame_type(frame: &ClientFrame) -> &'static str {
    match frame {
        ClientFrame::Hello { .. } => "hello",
        ClientFrame::Send { .. } => "send",
        ClientFrame::Edit { .. } => "edit",
        ClientFrame::Delete { .. } => "delete",
        ClientFrame::React { .. } => "react",
        ClientFrame::Received { .. } => "received",
        ClientFrame::Read { .. } => "read",
        ClientFrame::Typing { .. } => "typing",
        ClientFrame::Ping { .. } => "ping",
    }
}

/// Longest request id.
pub const ID_MAX: usize = 64;

/// Parses a client frame; the error says what is wrong and carries the request id if one
/// could be read.
pub fn parse(text: &str) -> Result<ClientFrame, (Option<String>, Error)> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        (
            None,
            Error::new(ErrorCode::InvalidRequest, format!("not JSON: {e}")),
        )
    })?;
    let id = value.get("id").and_then(Value::as_str).map(str::to_owned);
    if crate::http::nul::contains_nul(&value) {
        return Err((
            id,
            Error::new(
                ErrorCode::InvalidRequest,
                "strings must not contain NUL characters",
            ),
        ));
    }
    let frame: ClientFrame = serde_json::from_value(value).map_err(|e| {
        (
            id.clone(),
            Error::new(ErrorCode::InvalidRequest, format!("bad frame: {e}")),
        )
    })?;
    if frame
        .id()
        .is_some_and(|id| id.is_empty() || id.chars().count() > ID_MAX)
    {
        return Err((
            id,
            Error::new(
                ErrorCode::InvalidRequest,
                format!("id must be 1 to {ID_MAX} characters"),
            ),
        ));
    }
    Ok(frame)
}

pub fn ack(id: &str, body: Value) -> String {
    let mut frame = json!({ "type": "ack", "id": id });
    if let (Some(frame), Value::Object(extra)) = (frame.as_object_mut(), body) {
        frame.extend(extra);
    }
    frame.to_string()
}

pub fn error(id: Option<&str>, err: &Error) -> String {
    json!({ "type": "error", "id": id, "code": err.code, "message": err.message }).to_string()
}

/// Close codes: RFC 6455's, and our own (4000–4999 are for applications).
pub mod close {
    /// A frame was not valid WebSocket.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame was not UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// A frame was larger than `gateway.max_frame_bytes`.
    pub const TOO_LARGE: u16 = 1009;
    /// The server could not serve the connection (a snapshot failed): reconnect.
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The server is restarting: reconnect (to it or another node) and resume.
    pub const RESTARTING: u16 = 1012;
    /// The connection fell behind; reconnect and resume from your last position.
    pub const RESUME: u16 = 4000;
    /// Not (or no longer) authenticated: log in again.
    pub const UNAUTHORIZED: u16 = 4001;
    /// No `hello` in time.
    pub const HELLO_TIMEOUT: u16 = 4002;
    /// No frames from the client for two heartbeat intervals.
    pub const HEARTBEAT_TIMEOUT: u16 = 4003;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_requests_and_reports_problems() {
        let frame =
            parse(r#"{"type":"send","id":"1","room_id":"!a:b","txn_id":"t","text":"hi"}"#).unwrap();
        assert!(matches!(frame, ClientFrame::Send { .. }));
        let (id, err) = parse(r#"{"type":"send","id":"7"}"#).unwrap_err();
        assert_eq!(
            (id.as_deref(), err.code),
            (Some("7"), ErrorCode::InvalidRequest)
        );
        let (id, _) = parse(r#"{"type":"warp","id":"8"}"#).unwrap_err();
        assert_eq!(id.as_deref(), Some("8"));
        let (id, _) = parse("{nope").unwrap_err();
        assert_eq!(id, None);
        assert!(parse(r#"{"type":"ping","id":""}"#).is_err());
        let (id, err) =
            parse(r#"{"type":"send","id":"9","room_id":"!a:b","txn_id":"t","text":"a\u0000b"}"#)
                .unwrap_err();
        assert_eq!(
            (id.as_deref(), err.code),
            (Some("9"), ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn every_frame_type_is_listed() {
        let samples = [
            r#"{"type":"hello","id":"1","token":"t"}"#,
            r#"{"type":"send","id":"1","room_id":"r","txn_id":"t","text":"x"}"#,
            r#"{"type":"edit","id":"1","room_id":"r","txn_id":"t","event_id":"e","text":"x"}"#,
            r#"{"type":"delete","id":"1","room_id":"r","txn_id":"t","event_id":"e"}"#,
            r#"{"type":"react","id":"1","room_id":"r","txn_id":"t","event_id":"e","emoji":"x"}"#,
            r#"{"type":"received","id":"1","pos":1}"#,
            r#"{"type":"read","id":"1","room_id":"r","seq":1}"#,
            r#"{"type":"typing","id":"1","room_id":"r","typing":true}"#,
            r#"{"type":"ping","id":"1"}"#,
        ];
        let names: Vec<&str> = samples
            .iter()
            .map(|s| frame_type(&parse(s).unwrap()))
            .collect();
        assert_eq!(names, CLIENT_FRAMES);
    }

    #[test]
    fn acks_carry_the_id_and_the_result() {
        let text = ack("3", json!({ "seq": 4 }));
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value, json!({ "type": "ack", "id": "3", "seq": 4 }));
    }
}
