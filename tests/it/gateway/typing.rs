//! Typing indicators: the other members see them, the typist does not; they lapse after the
//! TTL, stop on request or when the typist's last connection closes, and need membership.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{LATE, QUIET, device, direct, group, online};
use crate::helpers::TestServer;

/// The TTL for the test of lapsing.
const TTL: Duration = Duration::from_secs(1);

/// A TTL no test outlasts: a typing frame that comes is not from a lapse.
const FOREVER_SECS: u64 = 600;

fn typing(room: &str, on: bool) -> Value {
    json!({ "type": "typing", "room_id": room, "typing": on })
}

#[tokio::test]
async fn others_see_typing_until_it_lapses() {
    let server = TestServer::spawn_with(|c| c.gateway.typing_ttl_secs = TTL.as_secs()).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let alice_tablet = device(&server, &alice).await;
    let room = group(&server, &alice, &[&bob, &carol]).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut a2, _) = online(&server, &alice_tablet).await;
    let (mut b, _) = online(&server, &bob).await;
    let (mut c, _) = online(&server, &carol).await;

    // Before the request: the TTL cannot start earlier.
    let started = Instant::now();
    let ack = a.request(typing(&room, true)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    for ws in [&mut b, &mut c] {
        let frame = ws.next("typing").await;
        assert_eq!(frame["room_id"], room.as_str());
        assert_eq!(frame["user_id"], alice.user_id.as_str());
        assert_eq!(frame["typing"], true);
    }
    let stopped = b.next("typing").await;
    let lasted = started.elapsed();
    assert_eq!(stopped["typing"], false, "{stopped}");
    assert_eq!(stopped["user_id"], alice.user_id.as_str());
    assert!(
        lasted >= TTL && lasted < TTL + LATE,
        "lapsed after {lasted:?}, not in [{TTL:?}, {:?})",
        TTL + LATE
    );
    assert_eq!(c.next("typing").await["typing"], false);
    // Neither of the typist's devices hears about it.
    a.assert_none(QUIET, |f| f["type"] == "typing").await;
    a2.assert_none(Duration::ZERO, |f| f["type"] == "typing")
        .await;
    b.assert_none(Duration::ZERO, |f| f["type"] == "typing")
        .await;
}

#[tokio::test]
async fn stopping_on_request_or_by_leaving_tells_the_room_at_once() {
    // With a TTL of ten minutes, a stop that comes at all came from the request or the close.
    let server = TestServer::spawn_with(|c| c.gateway.typing_ttl_secs = FOREVER_SECS).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;

    a.request(typing(&room, true)).await;
    assert_eq!(b.next("typing").await["typing"], true);
    // Saying it again renews it without a second frame.
    a.request(typing(&room, true)).await;
    b.assert_none(QUIET, |f| f["type"] == "typing").await;
    let ack = a.request(typing(&room, false)).await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let stopped = b.next("typing").await;
    assert_eq!(stopped["typing"], false);
    // Stopping again changes nothing and sends nothing.
    a.request(typing(&room, false)).await;
    b.assert_none(QUIET, |f| f["type"] == "typing").await;

    // Typing, then the typist's only connection goes away: stopped.
    a.request(typing(&room, true)).await;
    assert_eq!(b.next("typing").await["typing"], true);
    a.close().await;
    let stopped = b.next("typing").await;
    assert_eq!(stopped["typing"], false);
    assert_eq!(stopped["user_id"], alice.user_id.as_str());
}

#[tokio::test]
async fn typing_on_one_of_two_connections_survives_closing_the_other() {
    let server = TestServer::spawn_with(|c| c.gateway.typing_ttl_secs = FOREVER_SECS).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (mut a, _) = online(&server, &alice).await;
    let (spare, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;

    a.request(typing(&room, true)).await;
    assert_eq!(b.next("typing").await["typing"], true);
    spare.close().await;
    b.assert_none(QUIET, |f| f["type"] == "typing").await;
}

#[tokio::test]
async fn typing_needs_membership() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let mallory = server.user("mallory").await;
    let room = group(&server, &alice, &[&bob, &mallory]).await;
    let (mut b, _) = online(&server, &bob).await;
    let (mut m, _) = online(&server, &mallory).await;
    let secret = direct(&server, &alice, &bob).await;

    // A room Mallory was never in is not found; one she left is not hers any more.
    let refused = m.request(typing(&secret, true)).await;
    assert_eq!(
        (&refused["type"], &refused["code"]),
        (&json!("error"), &json!("ROOM_NOT_FOUND")),
        "{refused}"
    );
    server
        .post(
            &super::room_path(&room, "/leave"),
            Some(&mallory.access_token),
            json!({}),
        )
        .await
        .assert_status(200);
    let refused = m.request(typing(&room, true)).await;
    assert_eq!(
        (&refused["type"], &refused["code"]),
        (&json!("error"), &json!("NOT_A_MEMBER")),
        "{refused}"
    );
    let refused = m.request(typing("not a room id", true)).await;
    assert_eq!(refused["type"], "error", "{refused}");
    b.assert_none(QUIET, |f| f["type"] == "typing").await;
}
