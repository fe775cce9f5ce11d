//! Notifications: a new message notifies the other members' devices, never the sender's, not
//! for edits or reactions, and not in a room the member muted.

use serde_json::json;

use super::{QUIET, device, group, is_event, online, room_path, send};
use crate::helpers::TestServer;

#[tokio::test]
async fn other_members_are_notified_and_the_sender_is_not() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let alice_tablet = device(&server, &alice).await;
    let room = group(&server, &alice, &[&bob, &carol]).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut a2, _) = online(&server, &alice_tablet).await;
    let (mut b, _) = online(&server, &bob).await;
    let (mut c, _) = online(&server, &carol).await;

    let long = "ä".repeat(150);
    let ack = send(&mut a, &room, "n1", &long).await;
    for ws in [&mut b, &mut c] {
        let note = ws.next("notification").await;
        assert_eq!(note["room_id"], room.as_str());
        assert_eq!(note["event_id"], ack["event_id"]);
        assert_eq!(note["sender"], alice.user_id.as_str());
        assert_eq!(note["ts"], ack["ts"]);
        assert_eq!(
            note["preview"],
            "ä".repeat(100),
            "previews are cut to 100 characters"
        );
    }

    // Edits and reactions are events, not notifications.
    let edit = a
        .request(json!({ "type": "edit", "room_id": room, "txn_id": "n2", "event_id": ack["event_id"], "text": "short" }))
        .await;
    assert_eq!(edit["type"], "ack", "{edit}");
    let react = b
        .request(json!({ "type": "react", "room_id": room, "txn_id": "n3", "event_id": ack["event_id"], "emoji": "👍" }))
        .await;
    assert_eq!(react["type"], "ack", "{react}");
    c.wait_for(|f| is_event(f, &react["event_id"])).await;
    a.wait_for(|f| is_event(f, &react["event_id"])).await;
    for ws in [&mut a, &mut a2, &mut b, &mut c] {
        ws.assert_none(QUIET, |f| f["type"] == "notification").await;
    }
}

#[tokio::test]
async fn a_muted_room_sends_events_but_no_notifications() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = group(&server, &alice, &[&bob, &carol]).await;
    server
        .put(
            &room_path(&room, "/mute"),
            Some(&carol.access_token),
            json!({ "muted": true }),
        )
        .await
        .assert_status(204);
    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;
    let (mut c, snapshot) = online(&server, &carol).await;
    assert_eq!(snapshot["rooms"][0]["muted"], true, "{snapshot}");

    let ack = send(&mut a, &room, "m1", "anyone?").await;
    c.wait_for(|f| is_event(f, &ack["event_id"])).await;
    assert_eq!(b.next("notification").await["event_id"], ack["event_id"]);
    c.assert_none(QUIET, |f| f["type"] == "notification").await;

    // Unmuted, Carol is notified again.
    server
        .put(
            &room_path(&room, "/mute"),
            Some(&carol.access_token),
            json!({ "muted": false }),
        )
        .await
        .assert_status(204);
    let ack = send(&mut a, &room, "m2", "now?").await;
    assert_eq!(c.next("notification").await["event_id"], ack["event_id"]);
    assert_eq!(b.next("notification").await["event_id"], ack["event_id"]);
}
