//! Fan-out to every device: each event reaches every connection of every member, the sender's
//! own devices included; a retried transaction is not sent again; a removed member hears of
//! the removal and nothing after it.

use serde_json::json;

use super::{QUIET, any_event, device, direct, group, is_event, online, room_path, send};
use crate::helpers::{TestServer, Ws};

#[tokio::test]
async fn every_device_of_both_users_gets_each_message_once() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let alice_tablet = device(&server, &alice).await;
    let bob_laptop = device(&server, &bob).await;
    let room = direct(&server, &alice, &bob).await;
    let (mut a1, _) = online(&server, &alice).await;
    let (mut a2, _) = online(&server, &alice_tablet).await;
    let (mut b1, _) = online(&server, &bob).await;
    let (mut b2, _) = online(&server, &bob_laptop).await;

    // Bob's message reaches both of Alice's devices, his other device and the sending one;
    // only his own devices are told his transaction id.
    let ack = send(&mut b1, &room, "b-1", "hi alice").await;
    assert_eq!(ack["duplicate"], false);
    assert_eq!(ack["room_id"], room.as_str());
    for (ws, own) in [
        (&mut a1, false),
        (&mut a2, false),
        (&mut b1, true),
        (&mut b2, true),
    ] {
        let frame = ws.next("event").await;
        let event = &frame["event"];
        assert_eq!(event["event_id"], ack["event_id"]);
        assert_eq!(event["seq"], ack["seq"]);
        assert_eq!(event["pos"], ack["pos"]);
        assert_eq!(event["ts"], ack["ts"]);
        assert_eq!(event["room_id"], room.as_str());
        assert_eq!(event["sender"], bob.user_id.as_str());
        assert_eq!(event["type"], "message");
        assert_eq!(event["content"]["text"], "hi alice");
        if own {
            assert_eq!(event["txn_id"], "b-1");
        } else {
            assert!(event.get("txn_id").is_none(), "{event}");
        }
    }

    // Alice's message from her phone reaches her tablet.
    let ack = send(&mut a1, &room, "a-1", "hello from my phone").await;
    for ws in [&mut a2, &mut a1, &mut b1, &mut b2] {
        let event = ws.next("event").await;
        assert_eq!(event["event"]["event_id"], ack["event_id"]);
        assert_eq!(event["event"]["content"]["text"], "hello from my phone");
    }

    // A retry answers with the first event and sends nothing anywhere.
    let retry = send(&mut a1, &room, "a-1", "hello from my phone").await;
    assert_eq!(retry["duplicate"], true, "{retry}");
    for field in ["event_id", "seq", "pos", "ts", "room_id"] {
        assert_eq!(retry[field], ack[field], "{field}");
    }
    // The same over REST, with another text: still the first event.
    let rest = server
        .post(
            &room_path(&room, "/messages"),
            Some(&alice.access_token),
            json!({ "txn_id": "a-1", "text": "something else" }),
        )
        .await;
    let rest = rest.assert_status(200);
    assert_eq!(rest["event_id"], ack["event_id"]);
    assert_eq!(rest["duplicate"], true);
    for ws in [&mut a1, &mut a2, &mut b1, &mut b2] {
        ws.assert_none(QUIET, any_event).await;
    }
}

#[tokio::test]
async fn concurrent_retries_of_one_transaction_commit_once() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;

    // Five copies in flight at once, as a client retrying on a flaky network would send.
    for i in 0..5 {
        let frame = json!({ "type": "send", "id": format!("try{i}"), "room_id": room, "txn_id": "once", "text": "only once" });
        a.send_text(frame.to_string()).await;
    }
    let mut acks = Vec::new();
    for i in 0..5 {
        let id = format!("try{i}");
        acks.push(a.wait_for(|f| f["id"] == id.as_str()).await);
    }
    assert!(acks.iter().all(|ack| ack["type"] == "ack"), "{acks:?}");
    assert!(
        acks.iter()
            .all(|ack| ack["event_id"] == acks[0]["event_id"])
    );
    let fresh = acks.iter().filter(|ack| ack["duplicate"] == false).count();
    assert_eq!(fresh, 1, "{acks:?}");
    let event_id = acks[0]["event_id"].clone();
    b.wait_for(|f| is_event(f, &event_id)).await;
    b.assert_none(QUIET, any_event).await;
    a.wait_for(|f| is_event(f, &event_id)).await;
    a.assert_none(QUIET, any_event).await;
}

#[tokio::test]
async fn a_removed_member_gets_the_removal_and_nothing_after() {
    let server = TestServer::spawn_with(|c| c.gateway.receipt_flush_ms = 10).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = group(&server, &alice, &[&bob, &carol]).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut b, _) = online(&server, &bob).await;
    let (mut c, _) = online(&server, &carol).await;

    let before = send(&mut a, &room, "m1", "before").await;
    c.wait_for(|f| is_event(f, &before["event_id"])).await;

    let removal = server
        .delete(
            &room_path(&room, &format!("/members/{}", super::enc(&carol.user_id))),
            Some(&alice.access_token),
        )
        .await;
    let removal = removal.assert_status(200).clone();
    for ws in [&mut a, &mut b, &mut c] {
        let event = ws.wait_for(|f| is_event(f, &removal["event_id"])).await;
        assert_eq!(event["event"]["type"], "room.member");
        assert_eq!(event["event"]["content"]["action"], "remove");
        assert_eq!(event["event"]["content"]["user_id"], carol.user_id.as_str());
    }
    c.drain();

    let after = send(&mut a, &room, "m2", "after").await;
    b.wait_for(|f| is_event(f, &after["event_id"])).await;
    a.request(json!({ "type": "typing", "room_id": room, "typing": true }))
        .await;
    b.next("typing").await;
    b.request(json!({ "type": "read", "room_id": room, "seq": after["seq"] }))
        .await;
    a.wait_for(|f| f["type"] == "receipts").await;
    c.assert_none(QUIET, |f| {
        any_event(f) || f["type"] == "typing" || f["type"] == "receipts"
    })
    .await;

    // Resuming from the removal brings nothing either, and the room refuses Carol's messages.
    c.close().await;
    let (mut c, hello) = Ws::connect(&server, &carol.access_token, removal["pos"].as_i64()).await;
    assert_eq!(hello["type"], "ack");
    let synced = c.next("synced").await;
    assert_eq!(synced["resumed"], true);
    assert!(c.drain().iter().all(|f| !any_event(f)));
    let refused = c
        .request(json!({ "type": "send", "room_id": room, "txn_id": "m3", "text": "let me in" }))
        .await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "NOT_A_MEMBER");
}

#[tokio::test]
async fn an_added_member_gets_the_addition_and_what_follows_live_or_on_resume() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let (mut b, snapshot) = online(&server, &bob).await;
    let (c, carol_snapshot) = online(&server, &carol).await;
    let carol_since = carol_snapshot["pos"].as_i64().unwrap();
    c.close().await;

    // Bob is online when the group is made with him in it.
    let room = group(&server, &alice, &[&bob]).await;
    let added = b
        .wait_for(|f| any_event(f) && f["event"]["room_id"] == room.as_str())
        .await;
    assert_eq!(added["event"]["type"], "room.member");
    assert_eq!(added["event"]["content"]["action"], "add");
    assert_eq!(added["event"]["content"]["user_id"], bob.user_id.as_str());
    assert!(added["event"]["pos"].as_i64().unwrap() > snapshot["pos"].as_i64().unwrap());

    // Carol, offline, is added and then spoken to: both come on resume, the add first.
    let add = server
        .post(
            &room_path(&room, "/members"),
            Some(&alice.access_token),
            json!({ "user_id": carol.user_id }),
        )
        .await;
    let add = add.assert_status(200).clone();
    let (mut a, _) = online(&server, &alice).await;
    let welcome = send(&mut a, &room, "w", "welcome carol").await;
    let (mut c, hello) = Ws::connect(&server, &carol.access_token, Some(carol_since)).await;
    assert_eq!(hello["type"], "ack");
    let got = super::events(&mut c, 2).await;
    assert_eq!(got[0]["event_id"], add["event_id"]);
    assert_eq!(got[1]["event_id"], welcome["event_id"]);
    c.next("synced").await;
    c.assert_none(QUIET, any_event).await;
}
