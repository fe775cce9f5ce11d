//! `GET /api/v1/ws`: upgrades to the WebSocket gateway. The protocol is described in
//! `openapi/asyncapi.yaml`; the first frame must be `hello` with an access token.
//!
//! The upgrade is done here rather than by poem's `WebSocket` so that the connection gets
//! tokio-tungstenite's own stream, whose read errors keep their kind (frame too large, not
//! UTF-8, …), each of which closes with its own code.

use poem::http::{HeaderMap, Method, StatusCode, header};
use poem::web::Data;
use poem::{Body, Request, Response, handler};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

use crate::error::{Error, ErrorCode};
use crate::http::error_body;
use crate::state::AppState;

/// Whether `headers` ask for a WebSocket (RFC 6455 section 4.2.1); the key to answer if so.
fn upgrade_key(method: &Method, headers: &HeaderMap) -> Option<Vec<u8>> {
    let has_token = |name: header::HeaderName, token: &str| {
        headers.get_all(name).iter().any(|value| {
            value
                .to_str()
                .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
        })
    };
    let version_13 = headers
        .get(header::SEC_WEBSOCKET_VERSION)
        .is_some_and(|v| v == "13");
    (method == Method::GET
        && has_token(header::UPGRADE, "websocket")
        && has_token(header::CONNECTION, "upgrade")
        && version_13)
        .then(|| headers.get(header::SEC_WEBSOCKET_KEY))
        .flatten()
        .map(|key| key.as_bytes().to_vec())
}

#[handler]
pub fn ws(req: &Request, state: Data<&AppState>) -> Response {
    let Some(key) = upgrade_key(req.method(), req.headers()) else {
        return error_body(Error::new(
            ErrorCode::InvalidRequest,
            "this is the WebSocket gateway: connect with a WebSocket client (RFC 6455)",
        ));
    };
    if state.gateway.closing() {
        return error_body(Error::new(
            ErrorCode::Unavailable,
            "the server is shutting down",
        ));
    }
    let Ok(on_upgrade) = req.take_upgrade() else {
        return error_body(Error::new(
            ErrorCode::InvalidRequest,
            "this connection cannot be upgraded",
        ));
    };
    let gateway = &state.config.gateway;
    let config = WebSocketConfig::default()
        .read_buffer_size(gateway.read_buffer_bytes.max(1024))
        .write_buffer_size(gateway.write_buffer_bytes)
        .max_message_size(Some(gateway.max_frame_bytes))
        .max_frame_size(Some(gateway.max_frame_bytes));
    let state = state.clone();
    state.gateway.connections.clone().spawn(async move {
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let socket = WebSocketStream::from_raw_socket(upgraded, Role::Server, Some(config)).await;
        super::connection::serve(socket, state).await;
    });
    Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_ACCEPT, derive_accept_key(&key))
        .body(Body::empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_websocket_upgrades_are_taken() {
        let mut headers = HeaderMap::new();
        headers.insert(header::UPGRADE, "websocket".parse().unwrap());
        headers.insert(header::CONNECTION, "keep-alive, Upgrade".parse().unwrap());
        headers.insert(header::SEC_WEBSOCKET_VERSION, "13".parse().unwrap());
        headers.insert(
            header::SEC_WEBSOCKET_KEY,
            "dGhlIHNhbXBsZSBub25jZQ==".parse().unwrap(),
        );
        assert!(upgrade_key(&Method::GET, &headers).is_some());
        assert!(upgrade_key(&Method::POST, &headers).is_none());
        headers.insert(header::SEC_WEBSOCKET_VERSION, "8".parse().unwrap());
        assert!(upgrade_key(&Method::GET, &headers).is_none());
        // RFC 6455's own example answer.
        assert_eq!(
            derive_accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
