//! A direct chat over the gateway and REST: opening it, snapshots and presence, a message
//! and its retry, delivery and read receipts, a reply, an edit, a reaction, typing, unread
//! counts, ping, errors, muting, deleting, history, receipts, the room list, hiding a
//! message, a resume with a removed message, going offline, deleting the chat for oneself.

use reqwest::Method;
use serde_json::json;

use super::{Conn, call, enc, event_id, pos, room_path, seq, session, settled, spawn};
use crate::helpers::transcript::Transcript;

#[tokio::test]
async fn direct_chat() {
    let server = spawn().await;
    let mut t = Transcript::new("direct_chat");
    let alice = session(&server, &mut t, "alice", "phone").await;
    let laptop = session(&server, &mut t, "alice", "laptop").await;
    let bob = session(&server, &mut t, "bob", "phone").await;

    let mut s = t.step();
    let opened = call(
        &server,
        &mut s,
        Some(&alice),
        Method::POST,
        "/api/v1/rooms/direct",
        Some(json!({ "user_id": bob.user_id })),
    )
    .await;
    let room = opened.assert_status(200)["room_id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.name_room(&room, "direct");
    let again = call(
        &server,
        &mut s,
        Some(&bob),
        Method::POST,
        "/api/v1/rooms/direct",
        Some(json!({ "user_id": alice.user_id })),
    )
    .await;
    assert_eq!(again.assert_status(200)["room_id"], room.as_str());
    t.assert("open_direct", s);

    // Bob first: Alice was never seen.
    let mut s = t.step();
    let mut b = Conn::open(&server, &mut s, &bob, None).await;
    b.expect(&mut s, |f| f["type"] == "snapshot").await;
    t.assert("bob_connects", s);
    b.settled();

    let mut s = t.step();
    let mut a = Conn::open(&server, &mut s, &alice, None).await;
    let snapshot = a.expect(&mut s, |f| f["type"] == "snapshot").await;
    b.expect(&mut s, |f| f["type"] == "presence").await;
    t.assert("alice_connects", s);
    settled(&mut [&mut a, &mut b]);
    let alice_since = pos(&snapshot);

    // A second device: nobody hears of it.
    let mut s = t.step();
    let mut l = Conn::open(&server, &mut s, &laptop, None).await;
    l.expect(&mut s, |f| f["type"] == "snapshot").await;
    t.assert("alice_second_device", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    let send = json!({ "type": "send", "room_id": room, "txn_id": "t1", "text": "Hello Bob" });
    let hello = a.request(&mut s, send.clone()).await;
    for conn in [&mut a, &mut l, &mut b] {
        conn.event(&mut s, &room, seq(&hello)).await;
    }
    t.assert("send", s);
    settled(&mut [&mut a, &mut l, &mut b]);
    let hello_id = event_id(&hello);

    let mut s = t.step();
    let retry = a.request(&mut s, send).await;
    assert_eq!(retry["duplicate"], true, "{retry}");
    t.assert("send_retry", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    b.request(&mut s, json!({ "type": "received", "pos": pos(&hello) }))
        .await;
    // The sender's devices hear of positions that pass her messages; the mover does not.
    for conn in [&mut a, &mut l] {
        conn.expect(&mut s, |f| f["type"] == "receipts").await;
    }
    t.assert("received", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    let reply = b
        .request(
            &mut s,
            json!({ "type": "send", "room_id": room, "txn_id": "b1", "text": "Hi Alice", "reply_to": hello_id }),
        )
        .await;
    for conn in [&mut b, &mut a, &mut l] {
        conn.event(&mut s, &room, seq(&reply)).await;
    }
    t.assert("send_reply", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    let edit = a
        .request(
            &mut s,
            json!({ "type": "edit", "room_id": room, "txn_id": "t2", "event_id": hello_id, "text": "Hello, Bob!" }),
        )
        .await;
    for conn in [&mut a, &mut l, &mut b] {
        conn.event(&mut s, &room, seq(&edit)).await;
    }
    t.assert("edit", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    let react = b
        .request(
            &mut s,
            json!({ "type": "react", "room_id": room, "txn_id": "b2", "event_id": hello_id, "emoji": "👍" }),
        )
        .await;
    for conn in [&mut b, &mut a, &mut l] {
        conn.event(&mut s, &room, seq(&react)).await;
    }
    t.assert("react", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    for typing in [true, false] {
        b.request(
            &mut s,
            json!({ "type": "typing", "room_id": room, "typing": typing }),
        )
        .await;
        for conn in [&mut a, &mut l] {
            conn.expect(&mut s, |f| f["type"] == "typing" && f["typing"] == typing)
                .await;
        }
    }
    t.assert("typing", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    b.request(
        &mut s,
        json!({ "type": "read", "room_id": room, "seq": seq(&hello) }),
    )
    .await;
    b.expect(&mut s, |f| f["type"] == "unread").await;
    // The sender's devices hear of positions that pass her messages; the mover does not.
    for conn in [&mut a, &mut l] {
        conn.expect(&mut s, |f| f["type"] == "receipts").await;
    }
    t.assert("read", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    a.request(&mut s, json!({ "type": "ping" })).await;
    t.assert("ping", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    let nowhere = "!AAAAAAAAAAAAAAAAAA:localhost";
    t.name_room(nowhere, "nowhere");
    a.request(
        &mut s,
        json!({ "type": "send", "room_id": nowhere, "txn_id": "t9", "text": "anyone?" }),
    )
    .await;
    a.request(&mut s, json!({ "type": "warp" })).await;
    a.request(&mut s, json!({ "type": "hello", "token": alice.token }))
        .await;
    a.send_raw(&mut s, "not json").await;
    a.expect(&mut s, |f| f["type"] == "error" && f["id"].is_null())
        .await;
    let forged = "not.a.token";
    t.name(forged, "[access_token:forged]");
    let mut stranger = Conn::socket(&server, "stranger").await;
    stranger
        .request(&mut s, json!({ "type": "hello", "token": forged }))
        .await;
    stranger.close().await;
    t.assert("errors", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    // The same over REST; Bob mutes the chat first: no `notify` for him.
    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::PUT,
        &room_path(&room, "/mute"),
        Some(json!({ "muted": true })),
    )
    .await
    .assert_status(204);
    let sent = call(
        &server,
        &mut s,
        Some(&alice),
        Method::POST,
        &room_path(&room, "/messages"),
        Some(json!({ "txn_id": "t3", "text": "Are you there?" })),
    )
    .await;
    let sent = sent.assert_status(200).clone();
    for conn in [&mut a, &mut l, &mut b] {
        conn.event(&mut s, &room, seq(&sent)).await;
    }
    t.assert("muted_send_rest", s);
    settled(&mut [&mut a, &mut l, &mut b]);
    let rest_id = event_id(&sent);

    let mut s = t.step();
    let edited = call(
        &server,
        &mut s,
        Some(&alice),
        Method::PUT,
        &room_path(&room, &format!("/messages/{}", enc(&rest_id))),
        Some(json!({ "txn_id": "t4", "text": "Are you there, Bob?" })),
    )
    .await;
    let edited = edited.assert_status(200).clone();
    for conn in [&mut a, &mut l, &mut b] {
        conn.event(&mut s, &room, seq(&edited)).await;
    }
    t.assert("edit_rest", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    let reacted = call(
        &server,
        &mut s,
        Some(&bob),
        Method::PUT,
        &room_path(&room, &format!("/messages/{}/reaction", enc(&rest_id))),
        Some(json!({ "txn_id": "b3", "emoji": "🎉" })),
    )
    .await;
    let reacted = reacted.assert_status(200).clone();
    for conn in [&mut b, &mut a, &mut l] {
        conn.event(&mut s, &room, seq(&reacted)).await;
    }
    t.assert("react_rest", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    let deleted = a
        .request(
            &mut s,
            json!({ "type": "delete", "room_id": room, "txn_id": "t5", "event_id": hello_id }),
        )
        .await;
    for conn in [&mut a, &mut l, &mut b] {
        conn.event(&mut s, &room, seq(&deleted)).await;
    }
    t.assert("delete", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    let later = call(
        &server,
        &mut s,
        Some(&bob),
        Method::POST,
        &room_path(&room, "/messages"),
        Some(json!({ "txn_id": "b4", "text": "Sorry, wrong chat" })),
    )
    .await;
    let later = later.assert_status(200).clone();
    for conn in [&mut b, &mut a, &mut l] {
        conn.event(&mut s, &room, seq(&later)).await;
    }
    let removed = call(
        &server,
        &mut s,
        Some(&bob),
        Method::DELETE,
        &room_path(&room, &format!("/messages/{}", enc(&event_id(&later)))),
        None,
    )
    .await;
    let removed = removed.assert_status(200).clone();
    for conn in [&mut b, &mut a, &mut l] {
        conn.event(&mut s, &room, seq(&removed)).await;
    }
    t.assert("delete_rest", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    for who in [&alice, &bob] {
        call(
            &server,
            &mut s,
            Some(who),
            Method::GET,
            &room_path(&room, "/messages"),
            None,
        )
        .await
        .assert_status(200);
    }
    let page = call(
        &server,
        &mut s,
        Some(&alice),
        Method::GET,
        &room_path(&room, "/messages?limit=2"),
        None,
    )
    .await;
    let before = page.assert_status(200)["prev_before"].as_i64().unwrap();
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::GET,
        &room_path(&room, &format!("/messages?before={before}&limit=2")),
        None,
    )
    .await
    .assert_status(200);
    t.assert("history", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::GET,
        &room_path(&room, &format!("/messages/{}/receipts", enc(&rest_id))),
        None,
    )
    .await
    .assert_status(200);
    t.assert("receipts_rest", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::POST,
        &room_path(&room, "/read"),
        Some(json!({ "seq": seq(&sent) })),
    )
    .await
    .assert_status(200);
    b.expect(&mut s, |f| f["type"] == "unread").await;
    // The sender's devices hear of positions that pass her messages; the mover does not.
    for conn in [&mut a, &mut l] {
        conn.expect(&mut s, |f| f["type"] == "receipts").await;
    }
    t.assert("read_rest", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    for who in [&alice, &bob] {
        call(
            &server,
            &mut s,
            Some(who),
            Method::GET,
            "/api/v1/rooms",
            None,
        )
        .await
        .assert_status(200);
    }
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::GET,
        &room_path(&room, ""),
        None,
    )
    .await
    .assert_status(200);
    t.assert("room_list_and_details", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::POST,
        &room_path(&room, &format!("/messages/{}/delete-for-me", enc(&rest_id))),
        None,
    )
    .await
    .assert_status(204);
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::GET,
        &room_path(&room, &format!("/messages?after={}", seq(&reply))),
        None,
    )
    .await
    .assert_status(200);
    t.assert("hide_message", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    // The laptop comes back from where its snapshot left it: the deleted message, its edit
    // and its reaction come without content; Bob's presence comes before `synced`.
    let mut s = t.step();
    l.close().await;
    let mut l = Conn::open(&server, &mut s, &laptop, Some(alice_since)).await;
    for n in seq(&hello)..=seq(&removed) {
        l.event(&mut s, &room, n).await;
    }
    l.expect(&mut s, |f| f["type"] == "presence").await;
    l.expect(&mut s, |f| f["type"] == "synced").await;
    t.assert("resume", s);
    settled(&mut [&mut a, &mut l, &mut b]);

    let mut s = t.step();
    b.close().await;
    for conn in [&mut a, &mut l] {
        conn.expect(&mut s, |f| f["type"] == "presence").await;
    }
    t.assert("offline", s);
    settled(&mut [&mut a, &mut l]);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::POST,
        &room_path(&room, "/delete-for-me"),
        None,
    )
    .await
    .assert_status(204);
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::GET,
        "/api/v1/rooms",
        None,
    )
    .await
    .assert_status(200);
    t.assert("delete_chat_for_me", s);
    settled(&mut [&mut a, &mut l]);

    for conn in [&mut a, &mut l] {
        conn.quiet().await;
    }
    t.finish();
}
