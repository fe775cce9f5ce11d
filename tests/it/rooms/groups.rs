//! Groups: creation with members, details with roles and join times, admins managing members
//! and settings, and everything plain members and admins may not do.

use serde_json::json;

use super::{
    ROOMS, add_member, create_group, delete_group, details, history, kinds, remove_member, roles,
    room_list, set_role, token, update_room,
};
use crate::helpers::TestServer;

fn pair(user_id: &str, role: &str) -> (String, String) {
    (user_id.to_owned(), role.to_owned())
}

#[tokio::test]
async fn creating_a_group_makes_the_creator_owner_and_adds_the_members() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let reply = server
        .post(
            ROOMS,
            token(&alice),
            json!({
                "name": "  Tea party ",
                "topic": "Hats",
                "avatar_url": "https://example.org/hat.png",
                // The creator and repeats are left out.
                "members": [bob.user_id, carol.user_id, bob.user_id, alice.user_id],
            }),
        )
        .await;
    let room = reply.assert_status(201)["room_id"]
        .as_str()
        .expect("room_id")
        .to_owned();
    assert!(
        room.starts_with('!') && room.ends_with(":localhost"),
        "{room}"
    );

    let body = details(&server, &bob, &room)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(body["room_id"], room.as_str());
    assert_eq!(body["kind"], "group");
    assert_eq!(body["name"], "Tea party");
    assert_eq!(body["topic"], "Hats");
    assert_eq!(body["avatar_url"], "https://example.org/hat.png");
    assert_eq!(body["created_by"], alice.user_id.as_str());
    let created_at = body["created_at"].as_i64().expect("created_at");
    let members = body["members"].as_array().expect("members");
    let listed: Vec<_> = members
        .iter()
        .map(|m| (m["user_id"].as_str().unwrap(), m["role"].as_str().unwrap()))
        .collect();
    assert_eq!(
        listed,
        [
            (alice.user_id.as_str(), "owner"),
            (bob.user_id.as_str(), "member"),
            (carol.user_id.as_str(), "member"),
        ]
    );
    for member in members {
        assert_eq!(member["joined_at"].as_i64(), Some(created_at), "{member}");
    }

    let events = history(&server, &alice, &room).await;
    assert_eq!(
        kinds(&events),
        [
            ("room.created".into(), None),
            ("room.member".into(), Some("add".into())),
            ("room.member".into(), Some("add".into())),
        ]
    );
    assert_eq!(events[0]["sender"], alice.user_id.as_str());
    assert_eq!(events[0]["content"]["name"], "Tea party");
    assert_eq!(events[0]["content"]["kind"], "group");
    assert_eq!(events[1]["content"]["user_id"], bob.user_id.as_str());
    assert_eq!(events[2]["content"]["user_id"], carol.user_id.as_str());

    let listed = room_list(&server, &carol).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["room_id"], room.as_str());
    assert_eq!(listed[0]["kind"], "group");
    assert_eq!(listed[0]["name"], "Tea party");
    assert_eq!(listed[0]["role"], "member");
    assert_eq!(listed[0]["joined"], true);
    assert_eq!(listed[0]["peer"], json!(null));
}

#[tokio::test]
async fn a_group_needs_a_name_and_existing_members() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    for name in ["", "   "] {
        server
            .post(ROOMS, token(&alice), json!({ "name": name, "members": [] }))
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    server
        .post(
            ROOMS,
            token(&alice),
            json!({ "name": "x".repeat(65), "members": [] }),
        )
        .await
        .assert_error(400, "INVALID_REQUEST");
    server
        .post(
            ROOMS,
            token(&alice),
            json!({ "name": "Ghosts", "members": ["@nobody:localhost"] }),
        )
        .await
        .assert_error(404, "USER_NOT_FOUND");
    server
        .post(
            ROOMS,
            token(&alice),
            json!({ "name": "Typos", "members": ["bob"] }),
        )
        .await
        .assert_error(400, "INVALID_USER_ID");
    server
        .post(ROOMS, None, json!({ "name": "Anon", "members": [] }))
        .await
        .assert_error(401, "MISSING_TOKEN");
    // None of these made a room.
    assert_eq!(
        room_list(&server, &alice).await,
        Vec::<serde_json::Value>::new()
    );
}

#[tokio::test]
async fn an_admin_adds_and_removes_members_and_changes_settings() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let room = create_group(&server, &alice, "Club", &[&bob, &carol]).await;

    let promoted = set_role(&server, &alice, &room, &bob.user_id, "admin").await;
    let promoted = promoted.assert_status(200).clone();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    add_member(&server, &bob, &room, &dave.user_id)
        .await
        .assert_status(200);
    remove_member(&server, &bob, &room, &carol.user_id)
        .await
        .assert_status(200);
    update_room(
        &server,
        &bob,
        &room,
        json!({ "name": "Book club", "topic": "Novels" }),
    )
    .await
    .assert_status(200);

    assert_eq!(
        roles(&server, &alice, &room).await,
        [
            pair(&alice.user_id, "owner"),
            pair(&bob.user_id, "admin"),
            pair(&dave.user_id, "member"),
        ]
    );
    let body = details(&server, &dave, &room)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(body["name"], "Book club");
    assert_eq!(body["topic"], "Novels");
    let created_at = body["created_at"].as_i64().expect("created_at");
    let dave_joined = body["members"][2]["joined_at"].as_i64().expect("joined_at");
    assert!(dave_joined > created_at, "{body}");

    let events = history(&server, &alice, &room).await;
    let tail: Vec<_> = events[3..].iter().map(|e| e["content"].clone()).collect();
    assert_eq!(
        tail,
        [
            json!({ "action": "role", "user_id": bob.user_id, "role": "admin" }),
            json!({ "action": "add", "user_id": dave.user_id }),
            json!({ "action": "remove", "user_id": carol.user_id }),
            json!({ "name": "Book club", "topic": "Novels" }),
        ]
    );
    assert_eq!(events[3]["event_id"], promoted["event_id"]);
    assert_eq!(events[4]["sender"], bob.user_id.as_str());
    assert_eq!(events[6]["type"], "room.settings");
}

#[tokio::test]
async fn plain_members_cannot_manage_the_group() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let room = create_group(&server, &alice, "Club", &[&bob, &carol]).await;

    add_member(&server, &carol, &room, &dave.user_id)
        .await
        .assert_error(403, "FORBIDDEN");
    remove_member(&server, &carol, &room, &bob.user_id)
        .await
        .assert_error(403, "FORBIDDEN");
    update_room(&server, &carol, &room, json!({ "topic": "mine now" }))
        .await
        .assert_error(403, "FORBIDDEN");
    set_role(&server, &carol, &room, &carol.user_id, "admin")
        .await
        .assert_error(403, "FORBIDDEN");
    set_role(&server, &carol, &room, &bob.user_id, "owner")
        .await
        .assert_error(403, "FORBIDDEN");
    delete_group(&server, &carol, &room)
        .await
        .assert_error(403, "FORBIDDEN");

    assert_eq!(
        roles(&server, &alice, &room).await,
        [
            pair(&alice.user_id, "owner"),
            pair(&bob.user_id, "member"),
            pair(&carol.user_id, "member"),
        ]
    );
    assert_eq!(history(&server, &alice, &room).await.len(), 3);
}

#[tokio::test]
async fn admins_cannot_remove_the_owner_or_other_admins_nor_change_roles() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let room = create_group(&server, &alice, "Club", &[&bob, &carol, &dave]).await;
    for admin in [&bob, &dave] {
        set_role(&server, &alice, &room, &admin.user_id, "admin")
            .await
            .assert_status(200);
    }

    remove_member(&server, &bob, &room, &alice.user_id)
        .await
        .assert_error(403, "FORBIDDEN");
    remove_member(&server, &bob, &room, &dave.user_id)
        .await
        .assert_error(403, "FORBIDDEN");
    set_role(&server, &bob, &room, &carol.user_id, "admin")
        .await
        .assert_error(403, "FORBIDDEN");
    set_role(&server, &bob, &room, &dave.user_id, "member")
        .await
        .assert_error(403, "FORBIDDEN");
    delete_group(&server, &bob, &room)
        .await
        .assert_error(403, "FORBIDDEN");
    // Removing oneself is leaving; removing a stranger finds no member.
    remove_member(&server, &bob, &room, &bob.user_id)
        .await
        .assert_error(400, "INVALID_REQUEST");
    let eve = server.user("eve").await;
    remove_member(&server, &bob, &room, &eve.user_id)
        .await
        .assert_error(403, "NOT_A_MEMBER");

    // The owner may demote and remove admins.
    set_role(&server, &alice, &room, &dave.user_id, "member")
        .await
        .assert_status(200);
    remove_member(&server, &alice, &room, &bob.user_id)
        .await
        .assert_status(200);
    assert_eq!(
        roles(&server, &alice, &room).await,
        [
            pair(&alice.user_id, "owner"),
            pair(&carol.user_id, "member"),
            pair(&dave.user_id, "member"),
        ]
    );
}

#[tokio::test]
async fn member_changes_check_their_input() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Club", &[&bob]).await;

    add_member(&server, &alice, &room, "@nobody:localhost")
        .await
        .assert_error(404, "USER_NOT_FOUND");
    add_member(&server, &alice, &room, "nobody")
        .await
        .assert_error(400, "INVALID_USER_ID");
    add_member(&server, &alice, &room, &bob.user_id)
        .await
        .assert_error(409, "ALREADY_MEMBER");
    set_role(&server, &alice, &room, &bob.user_id, "king")
        .await
        .assert_error(400, "INVALID_REQUEST");
    set_role(&server, &alice, &room, &alice.user_id, "member")
        .await
        .assert_error(400, "INVALID_REQUEST");
    update_room(&server, &alice, &room, json!({}))
        .await
        .assert_error(400, "INVALID_REQUEST");
    update_room(
        &server,
        &alice,
        &room,
        json!({ "avatar_url": "ftp://x/y.png" }),
    )
    .await
    .assert_error(400, "INVALID_REQUEST");
    assert_eq!(history(&server, &alice, &room).await.len(), 2);
}

#[tokio::test]
async fn an_empty_topic_clears_it_but_a_group_keeps_its_name() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Named", &[]).await;
    update_room(&server, &alice, &room, json!({ "topic": "Something" }))
        .await
        .assert_status(200);
    update_room(&server, &alice, &room, json!({ "topic": "" }))
        .await
        .assert_status(200);
    let body = details(&server, &alice, &room)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(body["topic"], json!(null));

    for name in [json!(""), json!("  "), json!(null)] {
        update_room(&server, &alice, &room, json!({ "name": name }))
            .await
            .assert_error(400, "INVALID_REQUEST");
    }
    let body = details(&server, &alice, &room)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(body["name"], "Named");
}

#[tokio::test]
async fn null_clears_a_topic_or_avatar_and_leaving_it_out_keeps_it() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Named", &[]).await;
    let avatar = "https://example.org/club.png";
    update_room(
        &server,
        &alice,
        &room,
        json!({ "topic": "Something", "avatar_url": avatar, "txn_id": null }),
    )
    .await
    .assert_status(200);
    update_room(&server, &alice, &room, json!({ "topic": null }))
        .await
        .assert_status(200);
    let body = details(&server, &alice, &room)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(
        (&body["topic"], &body["avatar_url"], &body["name"]),
        (&json!(null), &json!(avatar), &json!("Named"))
    );
    update_room(&server, &alice, &room, json!({ "avatar_url": null }))
        .await
        .assert_status(200);
    let body = details(&server, &alice, &room)
        .await
        .assert_status(200)
        .clone();
    assert_eq!(body["avatar_url"], json!(null));
}
