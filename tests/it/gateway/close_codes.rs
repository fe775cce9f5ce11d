//! Frames the gateway cannot read close the connection with the code of what is wrong, as a
//! close frame the client receives (not a TCP reset): 1009 for a frame over
//! `gateway.max_frame_bytes`, before `hello` as after it; 1007 for a text frame that is not
//! UTF-8. Written byte by byte, since a WebSocket library will not send invalid UTF-8.

use serde_json::json;

use super::online;
use crate::helpers::TestServer;
use crate::helpers::raw_ws::{RawWs, TEXT};

const FRAME_LIMIT: usize = 1024;

async fn server() -> TestServer {
    TestServer::spawn_with(|c| c.gateway.max_frame_bytes = FRAME_LIMIT).await
}

/// A raw connection that said hello as `token` and got its ack and snapshot.
async fn after_hello(server: &TestServer, token: &str) -> RawWs {
    let mut ws = RawWs::connect(server.addr).await;
    let hello = json!({ "type": "hello", "id": "h", "token": token });
    ws.send_text(&hello.to_string()).await;
    let ack = ws.next_json().await;
    assert_eq!((&ack["type"], &ack["id"]), (&json!("ack"), &json!("h")));
    assert_eq!(ws.next_json().await["type"], "snapshot");
    ws
}

/// A text frame well over the limit, and valid JSON otherwise.
fn too_large() -> String {
    json!({ "type": "ping", "id": "big", "pad": "x".repeat(4 * FRAME_LIMIT) }).to_string()
}

/// A text frame whose payload is not UTF-8: a JSON request around a lone continuation byte
/// and an over-long encoding of `/`.
fn not_utf8() -> Vec<u8> {
    let mut payload = br#"{"type":"ping","id":""#.to_vec();
    payload.extend_from_slice(&[0x80, 0xC0, 0xAF]);
    payload.extend_from_slice(br#""}"#);
    assert!(std::str::from_utf8(&payload).is_err());
    payload
}

/// The server still serves new connections.
async fn still_serving(server: &TestServer) {
    let alice = server.login("alice", crate::helpers::PASSWORD).await;
    let (mut ws, _) = online(server, &alice).await;
    let pong = ws.request(json!({ "type": "ping" })).await;
    assert_eq!(pong["pong"], true, "{pong}");
}

#[tokio::test]
async fn a_frame_over_the_limit_before_hello_gets_close_1009() {
    let server = server().await;
    server.user("alice").await;
    let mut ws = RawWs::connect(server.addr).await;
    ws.send_text(&too_large()).await;
    assert_eq!(ws.close_code().await, Ok(1009));
    still_serving(&server).await;
}

#[tokio::test]
async fn a_frame_over_the_limit_after_hello_gets_close_1009() {
    let server = server().await;
    let alice = server.user("alice").await;
    let mut ws = after_hello(&server, &alice.access_token).await;
    ws.send_text(&too_large()).await;
    assert_eq!(ws.close_code().await, Ok(1009));
    still_serving(&server).await;
}

#[tokio::test]
async fn a_text_frame_that_is_not_utf8_gets_close_1007() {
    let server = server().await;
    let alice = server.user("alice").await;

    let mut ws = after_hello(&server, &alice.access_token).await;
    ws.send_frame(TEXT, &not_utf8()).await;
    assert_eq!(ws.close_code().await, Ok(1007));

    // As the first frame too.
    let mut ws = RawWs::connect(server.addr).await;
    ws.send_frame(TEXT, &not_utf8()).await;
    assert_eq!(ws.close_code().await, Ok(1007));
    still_serving(&server).await;
}
