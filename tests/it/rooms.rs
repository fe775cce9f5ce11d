//! Rooms: groups and direct chats, members and roles, messages and their edits, deletions and
//! reactions, history and the room list, idempotent retries, limits and concurrency. The tests
//! are in the submodules; the helpers they share are here.

mod concurrency;
mod deleted_everywhere;
mod direct;
mod event_ids;
mod groups;
mod idempotency;
mod limits;
mod messages;
mod ownership;
mod paging;
mod reactions;
mod receipts;
mod removed_member;
mod room_cache;
mod room_list;
mod sequence;
mod visibility;

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::helpers::{Reply, TestServer, TestUser};

const ROOMS: &str = "/api/v1/rooms";

/// An id percent-encoded for a path segment (`!`, `:`, `@`, `$` and friends).
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

/// `/api/v1/rooms/{room_id}` followed by `rest` (which starts with `/` or is empty).
fn room_path(room_id: &str, rest: &str) -> String {
    format!("{ROOMS}/{}{rest}", enc(room_id))
}

/// `/api/v1/rooms/{room_id}/messages/{event_id}` followed by `rest`.
fn event_path(room_id: &str, event_id: &str, rest: &str) -> String {
    room_path(room_id, &format!("/messages/{}{rest}", enc(event_id)))
}

/// A transaction id no other call in this test process uses.
fn txn() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("txn-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A well-formed event id that names no event.
const UNKNOWN_EVENT: &str = "$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

/// A well-formed room id that names no room.
const UNKNOWN_ROOM: &str = "!NoSuchRoomHere:localhost";

fn token(user: &TestUser) -> Option<&str> {
    Some(&user.access_token)
}

/// Creates a group owned by `owner` with `members`; returns its id.
async fn create_group(
    server: &TestServer,
    owner: &TestUser,
    name: &str,
    members: &[&TestUser],
) -> String {
    let ids: Vec<&str> = members.iter().map(|m| m.user_id.as_str()).collect();
    let reply = server
        .post(ROOMS, token(owner), json!({ "name": name, "members": ids }))
        .await;
    let body = reply.assert_status(201);
    body["room_id"].as_str().expect("room_id").to_owned()
}

/// `POST /rooms/direct` from `user` to `other_id`, whatever the answer.
async fn open_direct(server: &TestServer, user: &TestUser, other_id: &str) -> Reply {
    server
        .post(
            &format!("{ROOMS}/direct"),
            token(user),
            json!({ "user_id": other_id }),
        )
        .await
}

/// The direct chat of `user` with `other`; panics unless it opens.
async fn direct_room(server: &TestServer, user: &TestUser, other: &TestUser) -> String {
    let reply = open_direct(server, user, &other.user_id).await;
    reply.assert_status(200)["room_id"]
        .as_str()
        .expect("room_id")
        .to_owned()
}

/// Posts `body` as a message, whatever the answer.
async fn post_message(server: &TestServer, user: &TestUser, room_id: &str, body: Value) -> Reply {
    server
        .post(&room_path(room_id, "/messages"), token(user), body)
        .await
}

/// Sends `text` with a fresh transaction id and returns the ack; panics unless it is stored.
async fn send(server: &TestServer, user: &TestUser, room_id: &str, text: &str) -> Value {
    let reply = post_message(
        server,
        user,
        room_id,
        json!({ "txn_id": txn(), "text": text }),
    )
    .await;
    let ack = reply.assert_status(200).clone();
    assert_eq!(ack["duplicate"], false, "{ack}");
    ack
}

/// The event id of an ack.
fn id_of(ack: &Value) -> &str {
    ack["event_id"].as_str().expect("event_id")
}

/// The seq of an ack or event.
fn seq_of(value: &Value) -> i64 {
    value["seq"].as_i64().expect("seq")
}

/// `GET /rooms/{id}/messages?{query}`, whatever the answer.
async fn messages(server: &TestServer, user: &TestUser, room_id: &str, query: &str) -> Reply {
    server
        .get(
            &format!("{}?{query}", room_path(room_id, "/messages")),
            token(user),
        )
        .await
}

/// Everything `user` can see of a room, oldest first, walked backwards page by page.
async fn history(server: &TestServer, user: &TestUser, room_id: &str) -> Vec<Value> {
    let mut pages = Vec::new();
    let mut query = "limit=50".to_owned();
    loop {
        let reply = messages(server, user, room_id, &query).await;
        let page = reply.assert_status(200).clone();
        let events = page["events"].as_array().expect("events").clone();
        pages.push(events);
        match page["prev_before"].as_i64() {
            Some(before) => query = format!("limit=50&before={before}"),
            None => break,
        }
        assert!(pages.len() < 100, "history does not end");
    }
    pages.into_iter().rev().flatten().collect()
}

/// The event with this id in `events`.
#[track_caller]
fn event<'a>(events: &'a [Value], event_id: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event_id"] == event_id)
        .unwrap_or_else(|| panic!("no event {event_id} in {events:#?}"))
}

/// The texts of the `message` events, in order.
fn texts(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["type"] == "message")
        .map(|e| e["content"]["text"].as_str().unwrap_or("").to_owned())
        .collect()
}

/// The seqs of `events`, in order.
fn seqs(events: &[Value]) -> Vec<i64> {
    events.iter().map(seq_of).collect()
}

/// `(type, content.action)` of each event: a compact picture of a timeline.
fn kinds(events: &[Value]) -> Vec<(String, Option<String>)> {
    events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap_or("").to_owned(),
                e["content"]["action"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

/// Asserts that `events` are numbered `first, first + 1, …` without a gap.
#[track_caller]
fn assert_gap_free_from(events: &[Value], first: i64) {
    let expected: Vec<i64> = (first..first + events.len() as i64).collect();
    assert_eq!(seqs(events), expected, "seqs are not gap-free from {first}");
}

async fn add_member(server: &TestServer, by: &TestUser, room_id: &str, user_id: &str) -> Reply {
    server
        .post(
            &room_path(room_id, "/members"),
            token(by),
            json!({ "user_id": user_id }),
        )
        .await
}

async fn remove_member(server: &TestServer, by: &TestUser, room_id: &str, user_id: &str) -> Reply {
    server
        .delete(
            &room_path(room_id, &format!("/members/{}", enc(user_id))),
            token(by),
        )
        .await
}

async fn set_role(
    server: &TestServer,
    by: &TestUser,
    room_id: &str,
    user_id: &str,
    role: &str,
) -> Reply {
    server
        .put(
            &room_path(room_id, &format!("/members/{}/role", enc(user_id))),
            token(by),
            json!({ "role": role }),
        )
        .await
}

async fn leave(server: &TestServer, user: &TestUser, room_id: &str) -> Reply {
    server
        .post(&room_path(room_id, "/leave"), token(user), json!({}))
        .await
}

async fn update_room(server: &TestServer, by: &TestUser, room_id: &str, body: Value) -> Reply {
    server.put(&room_path(room_id, ""), token(by), body).await
}

async fn delete_group(server: &TestServer, by: &TestUser, room_id: &str) -> Reply {
    server.delete(&room_path(room_id, ""), token(by)).await
}

async fn details(server: &TestServer, user: &TestUser, room_id: &str) -> Reply {
    server.get(&room_path(room_id, ""), token(user)).await
}

/// `(user_id, role)` of each current member, as the details list them.
async fn roles(server: &TestServer, user: &TestUser, room_id: &str) -> Vec<(String, String)> {
    let reply = details(server, user, room_id).await;
    reply.assert_status(200)["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["user_id"].as_str().expect("user_id").to_owned(),
                m["role"].as_str().expect("role").to_owned(),
            )
        })
        .collect()
}

/// `user`'s room list.
async fn room_list(server: &TestServer, user: &TestUser) -> Vec<Value> {
    let reply = server.get(ROOMS, token(user)).await;
    reply.assert_status(200)["rooms"]
        .as_array()
        .expect("rooms")
        .clone()
}

/// The entry for `room_id` in `user`'s room list, if it is there.
async fn summary(server: &TestServer, user: &TestUser, room_id: &str) -> Option<Value> {
    room_list(server, user)
        .await
        .into_iter()
        .find(|r| r["room_id"] == room_id)
}
