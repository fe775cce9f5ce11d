//! A group's life: created with settings and a member, more members added, roles given,
//! settings changed and cleared, details, a message, a member removed (and what they still
//! see), the owner leaving (the next in line takes over), ownership handed on, the group
//! deleted (and what its members see then).

use reqwest::Method;
use serde_json::json;

use super::{Conn, call, enc, room_path, session, settled, spawn};
use crate::helpers::transcript::Transcript;

#[tokio::test]
async fn group() {
    let server = spawn().await;
    let mut t = Transcript::new("group");
    let alice = session(&server, &mut t, "alice", "phone").await;
    let bob = session(&server, &mut t, "bob", "phone").await;
    let carol = session(&server, &mut t, "carol", "phone").await;
    let dave = session(&server, &mut t, "dave", "phone").await;

    // Nobody shares a room yet: empty snapshots, no presence.
    let mut s = t.step();
    let mut a = Conn::open(&server, &mut s, &alice, None).await;
    a.expect(&mut s, |f| f["type"] == "snapshot").await;
    let mut b = Conn::open(&server, &mut s, &bob, None).await;
    b.expect(&mut s, |f| f["type"] == "snapshot").await;
    let mut c = Conn::open(&server, &mut s, &carol, None).await;
    c.expect(&mut s, |f| f["type"] == "snapshot").await;
    t.assert("connect", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    let mut s = t.step();
    let created = call(
        &server,
        &mut s,
        Some(&alice),
        Method::POST,
        "/api/v1/rooms",
        Some(json!({
            "name": "Trip",
            "topic": "Where to go",
            "avatar_url": "https://example.org/trip.png",
            "members": [bob.user_id],
        })),
    )
    .await;
    let room = created.assert_status(201)["room_id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.name_room(&room, "group");
    // Bob sees the group from his joining on (seq 2), not its creation.
    for seq in 1..=2 {
        a.event(&mut s, &room, seq).await;
    }
    b.event(&mut s, &room, 2).await;
    t.assert("create_group", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    let mut s = t.step();
    let mut seq = 2;
    for member in [&carol, &dave] {
        call(
            &server,
            &mut s,
            Some(&alice),
            Method::POST,
            &room_path(&room, "/members"),
            Some(json!({ "user_id": member.user_id, "txn_id": format!("add-{}", &member.user_id[1..]) })),
        )
        .await
        .assert_status(200);
        seq += 1;
        for conn in [&mut a, &mut b, &mut c] {
            conn.event(&mut s, &room, seq).await;
        }
    }
    t.assert("add_members", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::PUT,
        &room_path(&room, &format!("/members/{}/role", enc(&bob.user_id))),
        Some(json!({ "role": "admin" })),
    )
    .await
    .assert_status(200);
    seq += 1;
    for conn in [&mut a, &mut b, &mut c] {
        conn.event(&mut s, &room, seq).await;
    }
    t.assert("set_member_role", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    // An admin renames the group and clears its topic; a member may not.
    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::PUT,
        &room_path(&room, ""),
        Some(json!({ "name": "Summer trip", "topic": null, "txn_id": "rename" })),
    )
    .await
    .assert_status(200);
    seq += 1;
    for conn in [&mut a, &mut b, &mut c] {
        conn.event(&mut s, &room, seq).await;
    }
    call(
        &server,
        &mut s,
        Some(&carol),
        Method::PUT,
        &room_path(&room, ""),
        Some(json!({ "avatar_url": null })),
    )
    .await
    .assert_status(403);
    t.assert("update_room", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&carol),
        Method::GET,
        &room_path(&room, ""),
        None,
    )
    .await
    .assert_status(200);
    t.assert("get_room", s);

    let mut s = t.step();
    c.request(
        &mut s,
        json!({ "type": "send", "room_id": room, "txn_id": "c1", "text": "Beach!" }),
    )
    .await;
    seq += 1;
    for conn in [&mut c, &mut a, &mut b] {
        conn.event(&mut s, &room, seq).await;
    }
    t.assert("send", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::DELETE,
        &room_path(&room, &format!("/members/{}", enc(&carol.user_id))),
        None,
    )
    .await
    .assert_status(200);
    seq += 1;
    for conn in [&mut a, &mut b, &mut c] {
        conn.event(&mut s, &room, seq).await;
    }
    t.assert("remove_member", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    // Carol keeps what she saw, as it was; she can no longer write.
    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&carol),
        Method::POST,
        &room_path(&room, "/messages"),
        Some(json!({ "txn_id": "c2", "text": "Hello?" })),
    )
    .await
    .assert_status(403);
    c.request(
        &mut s,
        json!({ "type": "typing", "room_id": room, "typing": true }),
    )
    .await;
    for path in [room_path(&room, ""), "/api/v1/rooms".to_owned()] {
        call(&server, &mut s, Some(&carol), Method::GET, &path, None)
            .await
            .assert_status(200);
    }
    t.assert("removed_member_view", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    // The owner leaves: the admin takes over.
    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&alice),
        Method::POST,
        &room_path(&room, "/leave"),
        None,
    )
    .await
    .assert_status(200);
    seq += 1;
    for conn in [&mut a, &mut b] {
        conn.event(&mut s, &room, seq).await;
    }
    t.assert("owner_leaves", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::PUT,
        &room_path(&room, &format!("/members/{}/role", enc(&dave.user_id))),
        Some(json!({ "role": "owner", "txn_id": "handover" })),
    )
    .await
    .assert_status(200);
    seq += 1;
    b.event(&mut s, &room, seq).await;
    call(
        &server,
        &mut s,
        Some(&dave),
        Method::GET,
        &room_path(&room, ""),
        None,
    )
    .await
    .assert_status(200);
    t.assert("hand_over_ownership", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&dave),
        Method::DELETE,
        &room_path(&room, ""),
        None,
    )
    .await
    .assert_status(200);
    seq += 1;
    b.event(&mut s, &room, seq).await;
    t.assert("delete_group", s);
    settled(&mut [&mut a, &mut b, &mut c]);

    // What is left: the history as it ended, the room in the list, no more writing.
    let mut s = t.step();
    call(
        &server,
        &mut s,
        Some(&bob),
        Method::GET,
        &room_path(&room, "/messages"),
        None,
    )
    .await
    .assert_status(200);
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
    b.request(
        &mut s,
        json!({ "type": "send", "room_id": room, "txn_id": "b1", "text": "Still there?" }),
    )
    .await;
    t.assert("after_delete", s);

    for conn in [&mut a, &mut b, &mut c] {
        conn.quiet().await;
    }
    t.finish();
}
