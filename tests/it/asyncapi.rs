//! `openapi/asyncapi.yaml` describes the gateway protocol the code speaks: every frame type
//! the code knows is documented (and nothing more), every reference resolves (into
//! `convo.yaml` too), every message has examples that match it, and every documented client
//! example is a frame the server accepts. That the server's frames match the document is
//! checked on every frame the gateway tests receive (`helpers::ws`); the tests below make
//! the server send every kind of frame.

mod frames;
mod snapshot;

use std::collections::BTreeSet;

use convo_homeserver::gateway::protocol::{self, close};
use reqwest::Method;
use serde_json::Value;

use crate::helpers::asyncapi::{SCHEMA_FORMAT, gateway};
use crate::helpers::{TestServer, TestUser, Ws};

/// A connection of `user` without a position: the hello's answer checked, with its snapshot.
async fn online(server: &TestServer, user: &TestUser) -> (Ws, Value) {
    let (mut ws, hello) = Ws::connect(server, &user.access_token, None).await;
    assert_eq!(hello["type"], "ack", "{hello}");
    let snapshot = ws.next("snapshot").await;
    (ws, snapshot)
}

/// A REST call by `user` (`body` null: none); its answer, checked to be a success.
async fn rest(
    server: &TestServer,
    user: &TestUser,
    method: &str,
    path: &str,
    body: Value,
) -> Value {
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let body = (!body.is_null()).then_some(body);
    let reply = server
        .call(method.clone(), path, Some(&user.access_token), body)
        .await;
    assert!(
        reply.status < 300,
        "{method} {path}: {} {:?}",
        reply.status,
        reply.body
    );
    reply.body
}

/// An id percent-encoded for a path segment.
fn enc(id: &str) -> String {
    let mut out = String::with_capacity(id.len() * 3);
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn doc() -> &'static Value {
    gateway().documents.root()
}

fn strings(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn the_document_lists_exactly_the_frames_the_code_speaks() {
    assert_eq!(doc()["asyncapi"], "3.0.0");
    let gateway = gateway();
    let client: BTreeSet<String> = gateway
        .client
        .iter()
        .map(|m| m.frame_type.clone())
        .collect();
    let server: BTreeSet<String> = gateway
        .server
        .iter()
        .map(|m| m.frame_type.clone())
        .collect();
    assert_eq!(client, strings(protocol::CLIENT_FRAMES));
    assert_eq!(server, strings(protocol::SERVER_FRAMES));
    // One operation per request, each with its answers.
    assert_eq!(
        gateway.replies.keys().cloned().collect::<BTreeSet<_>>(),
        strings(protocol::CLIENT_FRAMES)
    );
}

#[test]
fn every_message_is_named_after_its_type_and_in_the_channel() {
    let doc = doc();
    let channel = doc["channels"]["gateway"]["messages"]
        .as_object()
        .expect("channel messages");
    let components = doc["components"]["messages"]
        .as_object()
        .expect("component messages");
    let gateway = gateway();
    for message in gateway.client.iter().chain(&gateway.server) {
        assert_eq!(
            message.name.as_deref(),
            Some(message.frame_type.as_str()),
            "message {}: its name is the type of its frames",
            message.key
        );
        assert_eq!(
            channel[&message.key]["$ref"],
            format!("#/components/messages/{}", message.key)
        );
    }
    // Nothing documented that no operation uses.
    let used: BTreeSet<&String> = gateway
        .client
        .iter()
        .chain(&gateway.server)
        .map(|m| &m.key)
        .collect();
    assert_eq!(used, components.keys().collect());
    assert_eq!(used, channel.keys().collect());
    for (key, message) in components {
        assert_eq!(
            message["payload"]["schemaFormat"], SCHEMA_FORMAT,
            "message {key}"
        );
    }
    // The shared schemas are plain OpenAPI schemas under `x-schemas`: references into
    // `schemaFormat` wrappers under `components/schemas` trip AsyncAPI's own parser, which
    // converts such a schema once for each payload that reaches it.
    assert!(doc["components"].get("schemas").is_none());
    let text = serde_json::to_string(doc).unwrap();
    for key in doc["components"]["x-schemas"].as_object().unwrap().keys() {
        let reference = format!("\"#/components/x-schemas/{key}\"");
        assert!(text.contains(&reference), "x-schemas/{key} is used nowhere");
    }
}

#[test]
fn every_reference_resolves_in_both_documents() {
    let documents = &gateway().documents;
    assert_eq!(documents.unresolved(), Vec::<String>::new());
}

#[test]
fn error_codes_and_event_types_are_the_rest_documents() {
    let rest = crate::helpers::contract::document();
    let codes: BTreeSet<&str> = rest["components"]["schemas"]["ErrorCode"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for (request, replies) in &gateway().replies {
        assert!(!replies.error_codes.is_empty(), "{request}");
        assert!(
            replies.error_codes.contains(&"INVALID_REQUEST".to_owned()),
            "{request}: every request may be malformed"
        );
        for code in &replies.error_codes {
            assert!(codes.contains(code.as_str()), "{request}: {code}");
        }
    }
    let mapping = |doc: &Value, pointer: &str| -> BTreeSet<String> {
        doc.pointer(pointer)
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{pointer}"))
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        mapping(
            doc(),
            "/components/x-schemas/StreamEvent/discriminator/mapping"
        ),
        mapping(rest, "/components/schemas/RoomEvent/discriminator/mapping"),
        "the stream has the history's event types"
    );
}

#[test]
fn documented_client_examples_are_accepted_frames() {
    let gateway = gateway();
    for message in &gateway.client {
        assert!(
            !message.examples.is_empty(),
            "{} has no example",
            message.key
        );
        for example in &message.examples {
            gateway.accepts_client_frame(example).unwrap_or_else(|e| {
                panic!("{} example {example} breaks its schema: {e}", message.key)
            });
            let frame = protocol::parse(&example.to_string()).unwrap_or_else(|(_, e)| {
                panic!(
                    "{} example refused by the server: {}",
                    message.key, e.message
                )
            });
            assert_eq!(protocol::frame_type(&frame), message.frame_type);
        }
    }
}

#[test]
fn documented_server_examples_match_their_messages() {
    let gateway = gateway();
    for message in &gateway.server {
        assert!(
            !message.examples.is_empty(),
            "{} has no example",
            message.key
        );
        for example in &message.examples {
            gateway.check(message, example).unwrap_or_else(|e| {
                panic!("{} example {example} breaks its schema: {e}", message.key)
            });
        }
    }
    // One example of every event type.
    let event = gateway.server.iter().find(|m| m.key == "event").unwrap();
    let shown: BTreeSet<&str> = event
        .examples
        .iter()
        .filter_map(|e| e["event"]["type"].as_str())
        .collect();
    let mapping = doc()
        .pointer("/components/x-schemas/StreamEvent/discriminator/mapping")
        .and_then(Value::as_object)
        .unwrap();
    assert_eq!(shown, mapping.keys().map(String::as_str).collect());
}

#[test]
fn the_schemas_refuse_what_the_server_never_sends() {
    let gateway = gateway();
    let refused = |text: &str, problem: &str| {
        let err = gateway.check_server_frame(text).unwrap_err();
        assert!(
            err.contains(problem),
            "{text}: expected {problem:?} in\n{err}"
        );
    };
    let event = |fields: &str| {
        format!(
            r#"{{"type":"event","event":{{"event_id":"$e","room_id":"!r:x","seq":1,"pos":2,"sender":"@a:x","ts":3,{fields}}}}}"#
        )
    };
    gateway
        .check_server_frame(&event(r#""type":"message","content":{"text":"hi"}"#))
        .unwrap();
    refused(
        &event(r#""type":"message","content":{"text":"hi","extra":1}"#),
        "/event/content: {\"extra\":1,\"text\":\"hi\"} matches none of the `oneOf` schemas: [0] property `extra` is not in this branch",
    );
    refused(
        &event(r#""type":"room.created","content":null"#),
        "/event/content: null is not of type object",
    );
    refused(
        &event(r#""type":"room.member","content":{"action":"join","user_id":"@b:x"}"#),
        "/event/content: {\"action\":\"join\"",
    );
    refused(
        &event(r#""type":"room.gone","content":{}"#),
        "its `type` \"room.gone\" is none of the discriminator's",
    );
    refused(
        &event(r#""type":"room.deleted","content":{"x":1}"#),
        "/event/content: 1 properties are more than 0",
    );
    refused(
        &event(r#""type":"message","content":{"text":"hi"},"txn_id":null"#),
        "/event/txn_id: null is not of type string",
    );
    refused(
        r#"{"type":"ack","id":"1","pong":false}"#,
        "is not one of [true]",
    );
    refused(
        r#"{"type":"ack","id":"1","seq":1}"#,
        "property `seq` is not in the schema",
    );
    refused(r#"{"type":"typing_update"}"#, "no server message has");
    refused(
        r#"{"type":"error","code":"NOPE","message":"x"}"#,
        "`id` is missing",
    );
    refused(r#"{"type":"synced","pos":1,"resumed":false}"#, "/resumed");
    refused(
        r#"{"type":"presence","user_id":"@a:x","online":true}"#,
        "`last_seen` is missing",
    );
    refused(r#"{"type":"ping","id":"1","id":"2"}"#, "duplicate key");
}

#[test]
fn answers_are_checked_against_their_requests() {
    let gateway = gateway();
    let json = |text: &str| -> Value { serde_json::from_str(text).unwrap() };
    let ping = json(r#"{"type":"ping","id":"p"}"#);
    let read = json(r#"{"type":"read","id":"r","room_id":"!r:x","seq":1}"#);
    gateway
        .check_answer(&ping, &json(r#"{"type":"ack","id":"p","pong":true}"#))
        .unwrap();
    gateway
        .check_answer(&read, &json(r#"{"type":"ack","id":"r","read_up_to":1}"#))
        .unwrap();
    let wrong = gateway
        .check_answer(&read, &json(r#"{"type":"ack","id":"r","pong":true}"#))
        .unwrap_err();
    assert!(wrong.contains("none of the request's replies"), "{wrong}");
    let code = json(r#"{"type":"error","id":"p","code":"ROOM_NOT_FOUND","message":"x"}"#);
    let wrong = gateway.check_answer(&ping, &code).unwrap_err();
    assert!(
        wrong.contains("not among the request's x-error-codes"),
        "{wrong}"
    );
    gateway.check_answer(&read, &code).unwrap();
    // A request the document refuses must be refused as invalid.
    let broken = json(r#"{"type":"read","id":"r","room_id":"!r:x","seq":-1}"#);
    gateway
        .check_answer(
            &broken,
            &json(r#"{"type":"error","id":"r","code":"INVALID_REQUEST","message":"x"}"#),
        )
        .unwrap();
    let wrong = gateway
        .check_answer(&broken, &json(r#"{"type":"ack","id":"r","read_up_to":0}"#))
        .unwrap_err();
    assert!(
        wrong.contains("the document refuses this request"),
        "{wrong}"
    );
}

#[test]
fn the_close_codes_are_documented() {
    let description = doc()["info"]["description"].as_str().unwrap();
    let documented: BTreeSet<u16> = description
        .lines()
        .filter_map(|line| line.strip_prefix("| ")?.split(' ').next()?.parse().ok())
        .collect();
    let code: BTreeSet<u16> = [
        close::PROTOCOL_ERROR,
        close::INVALID_DATA,
        close::TOO_LARGE,
        close::INTERNAL_ERROR,
        close::RESTARTING,
        close::RESUME,
        close::UNAUTHORIZED,
        close::HELLO_TIMEOUT,
        close::HEARTBEAT_TIMEOUT,
    ]
    .into();
    assert_eq!(documented, code);
}
