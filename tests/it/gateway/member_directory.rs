//! Typing and receipts go to the room's members as the in-memory member directory knows
//! them, and the sequencer keeps it current: a member just added gets typing and receipts at
//! once, even when the room's list was already in memory; a member just removed gets neither,
//! and their own typing is refused (NOT_A_MEMBER).

use serde_json::{Value, json};

use super::{QUIET, group, online, room_path, send};
use crate::helpers::TestServer;

fn typing(room: &str, on: bool) -> Value {
    json!({ "type": "typing", "room_id": room, "typing": on })
}

fn is_typing_of(frame: &Value, room: &str, user: &str) -> bool {
    frame["type"] == "typing" && frame["room_id"] == room && frame["user_id"] == user
}

fn is_receipt_of(frame: &Value, room: &str, user: &str) -> bool {
    frame["type"] == "receipts"
        && frame["room_id"] == room
        && frame["updates"]
            .as_array()
            .is_some_and(|u| u.iter().any(|u| u["user_id"] == user))
}

#[tokio::test]
async fn typing_and_receipts_follow_membership_changes_at_once() {
    // Indicators last longer than the test: no `typing: false` comes from a lapse.
    let server = TestServer::spawn_with(|c| c.gateway.typing_ttl_secs = 600).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let room = group(&server, &alice, &[&bob, &carol]).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;
    let (mut c, _) = online(&server, &carol).await;
    let (mut d, _) = online(&server, &dave).await;

    // The room's member list is now in memory: Alice's typing reached Bob and Carol.
    assert_eq!(a.request(typing(&room, true)).await["type"], "ack");
    for ws in [&mut b, &mut c] {
        ws.wait_for(|f| is_typing_of(f, &room, &alice.user_id))
            .await;
    }

    // Dave is added: Bob's typing, right after, reaches him.
    server
        .post(
            &room_path(&room, "/members"),
            Some(&alice.access_token),
            json!({ "user_id": dave.user_id }),
        )
        .await
        .assert_status(200);
    assert_eq!(b.request(typing(&room, true)).await["type"], "ack");
    let frame = d.wait_for(|f| is_typing_of(f, &room, &bob.user_id)).await;
    assert_eq!(frame["typing"], true);
    // And so do receipts: Bob reads a message of Dave's (a member hears of the positions
    // that pass their own messages).
    let message = send(&mut d, &room, "m1", "hello, I'm dave").await;
    let read = b
        .request(json!({ "type": "read", "room_id": room, "seq": message["seq"] }))
        .await;
    assert_eq!(read["type"], "ack", "{read}");
    d.wait_for(|f| is_receipt_of(f, &room, &bob.user_id)).await;

    // Carol writes, then is removed: Dave's typing reaches Bob, not her; her own typing is
    // refused; Dave reading past her message and Bob's tells Bob, not her.
    send(&mut c, &room, "c1", "bye all").await;
    server
        .delete(
            &room_path(&room, &format!("/members/{}", super::enc(&carol.user_id))),
            Some(&alice.access_token),
        )
        .await
        .assert_status(200);
    c.drain();
    let dave_types = d.request(typing(&room, true)).await;
    assert_eq!(dave_types["type"], "ack", "{dave_types}");
    b.wait_for(|f| is_typing_of(f, &room, &dave.user_id)).await;
    let refused = c.request(typing(&room, true)).await;
    assert_eq!(
        (&refused["type"], &refused["code"]),
        (&json!("error"), &json!("NOT_A_MEMBER")),
        "{refused}"
    );
    let message = send(&mut b, &room, "m2", "carol is gone").await;
    let read = d
        .request(json!({ "type": "read", "room_id": room, "seq": message["seq"] }))
        .await;
    assert_eq!(read["type"], "ack", "{read}");
    b.wait_for(|f| is_receipt_of(f, &room, &dave.user_id)).await;
    c.assert_none(QUIET, |f| {
        is_typing_of(f, &room, &dave.user_id) || is_receipt_of(f, &room, &dave.user_id)
    })
    .await;
}
