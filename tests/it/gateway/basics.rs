//! A first conversation over the gateway: two users, ticks from sent to read.

use serde_json::json;

use crate::helpers::{TestServer, Ws};

#[tokio::test]
async fn two_users_chat_with_ticks_from_sent_to_read() {
    let server = TestServer::spawn_with(|c| c.gateway.receipt_flush_ms = 10).await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = server
        .post(
            "/api/v1/rooms/direct",
            Some(&alice.access_token),
            json!({ "user_id": bob.user_id }),
        )
        .await
        .assert_status(200)["room_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (mut a, hello) = Ws::connect(&server, &alice.access_token, None).await;
    assert_eq!(hello["type"], "ack");
    assert_eq!(hello["user_id"], alice.user_id.as_str());
    let snapshot = a.next("snapshot").await;
    assert_eq!(snapshot["rooms"][0]["room_id"], room.as_str());
    let (mut b, _) = Ws::connect(&server, &bob.access_token, None).await;
    b.next("snapshot").await;

    let ack = a
        .request(json!({ "type": "send", "room_id": room, "txn_id": "m1", "text": "hi bob" }))
        .await;
    assert_eq!(ack["type"], "ack", "{ack}");
    let seq = ack["seq"].as_i64().unwrap();
    let pos = ack["pos"].as_i64().unwrap();

    let event = b.next("event").await;
    assert_eq!(event["event"]["content"]["text"], "hi bob");
    assert_eq!(event["event"]["pos"], pos);
    assert_eq!(event["notify"], true, "{event}");

    b.request(json!({ "type": "received", "pos": pos })).await;
    let delivered = a
        .wait_for(|f| f["type"] == "receipts" && f["updates"][0]["user_id"] == bob.user_id.as_str())
        .await;
    assert_eq!(delivered["updates"][0]["delivered_up_to"], seq);
    assert_eq!(delivered["updates"][0]["read_up_to"], 0);

    let read = b
        .request(json!({ "type": "read", "room_id": room, "seq": seq }))
        .await;
    assert_eq!(read["read_up_to"], seq, "{read}");
    let read = a
        .wait_for(|f| f["type"] == "receipts" && f["updates"][0]["read_up_to"] == seq)
        .await;
    assert_eq!(read["room_id"], room.as_str());
    let unread = b.next("unread").await;
    assert_eq!(unread["unread_count"], 0);
}
