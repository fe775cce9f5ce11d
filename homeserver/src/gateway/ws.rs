//! `GET /api/v1/ws`: upgrades to the WebSocket gateway. The protocol is described in
//! `openapi/asyncapi.yaml`; the first frame must be `hello` with an access token.

use poem::web::Data;
use poem::web::websocket::{WebSocket, WebSocketConfig};
use poem::{IntoResponse, handler};

use crate::state::AppState;

#[handler]
pub fn ws(socket: WebSocket, state: Data<&AppState>) -> impl IntoResponse {
    let gateway = &state.config.gateway;
    let config = WebSocketConfig::default()
        .read_buffer_size(gateway.read_buffer_bytes.max(1024))
        .write_buffer_size(gateway.write_buffer_bytes)
        .max_message_size(Some(gateway.max_frame_bytes))
        .max_frame_size(Some(gateway.max_frame_bytes));
    let state = state.clone();
    socket
        .config(config)
        .on_upgrade(move |socket| super::connection::serve(socket, state))
}
