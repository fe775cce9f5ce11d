//! Notifications: a new message is marked `"notify": true` for the other members' devices,
//! never the sender's, not for edits or reactions, and not in a room the member muted.

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

    let ack = send(&mut a, &room, "n1", "hello all").await;
    for ws in [&mut b, &mut c] {
        let frame = ws.wait_for(|f| is_event(f, &ack["event_id"])).await;
        assert_eq!(frame["notify"], true, "{frame}");
        assert_eq!(frame["event"]["room_id"], room.as_str());
        assert_eq!(frame["event"]["sender"], alice.user_id.as_str());
        assert_eq!(frame["event"]["content"]["text"], "hello all");
    }
    for ws in [&mut a, &mut a2] {
        let frame = ws.wait_for(|f| is_event(f, &ack["event_id"])).await;
        assert!(
            frame.get("notify").is_none(),
            "the sender's devices: {frame}"
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
    for ws in [&mut a, &mut a2, &mut b, &mut c] {
        for id in [&edit["event_id"], &react["event_id"]] {
            let frame = ws.wait_for(|f| is_event(f, id)).await;
            assert!(frame.get("notify").is_none(), "{frame}");
        }
        ws.assert_none(QUIET, notifies).await;
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
    let muted = c.wait_for(|f| is_event(f, &ack["event_id"])).await;
    assert!(muted.get("notify").is_none(), "{muted}");
    let unmuted = b.wait_for(|f| is_event(f, &ack["event_id"])).await;
    assert_eq!(unmuted["notify"], true, "{unmuted}");
    c.assert_none(QUIET, notifies).await;

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
    for ws in [&mut b, &mut c] {
        let frame = ws.wait_for(|f| is_event(f, &ack["event_id"])).await;
        assert_eq!(frame["notify"], true, "{frame}");
    }
}

/// A frame that asks for a notification.
fn notifies(frame: &serde_json::Value) -> bool {
    frame["notify"] == true
}
