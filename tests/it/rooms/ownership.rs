//! Ownership: handing it over, the owner leaving (the longest-standing admin, else member,
//! takes over), and deleting a group, which only the owner may do.

use serde_json::json;

use super::{
    add_member, create_group, delete_group, details, history, kinds, leave, post_message, roles,
    send, set_role, summary, txn, update_room,
};
use crate::helpers::TestServer;

fn pair(user_id: &str, role: &str) -> (String, String) {
    (user_id.to_owned(), role.to_owned())
}

#[tokio::test]
async fn the_owner_leaving_hands_the_group_to_the_longest_standing_admin() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let room = create_group(&server, &alice, "Club", &[&bob, &carol]).await;
    add_member(&server, &alice, &room, &dave.user_id)
        .await
        .assert_status(200);
    // Dave is promoted first, but Carol has been in the group longer.
    for admin in [&dave, &carol] {
        set_role(&server, &alice, &room, &admin.user_id, "admin")
            .await
            .assert_status(200);
    }

    let left = leave(&server, &alice, &room).await;
    left.assert_status(200);
    assert_eq!(
        roles(&server, &bob, &room).await,
        [
            pair(&carol.user_id, "owner"),
            pair(&dave.user_id, "admin"),
            pair(&bob.user_id, "member"),
        ]
    );
    let events = history(&server, &bob, &room).await;
    let last = events.last().expect("events");
    assert_eq!(last["event_id"], left.body["event_id"]);
    assert_eq!(last["sender"], alice.user_id.as_str());
    assert_eq!(
        last["content"],
        json!({ "action": "leave", "user_id": alice.user_id, "new_owner": carol.user_id })
    );
    // The new owner has the owner's powers.
    set_role(&server, &carol, &room, &bob.user_id, "admin")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn without_admins_the_longest_standing_member_takes_over() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let room = create_group(&server, &alice, "Club", &[&carol, &bob]).await;
    add_member(&server, &alice, &room, &dave.user_id)
        .await
        .assert_status(200);

    // Carol was added before Bob at creation.
    leave(&server, &alice, &room).await.assert_status(200);
    assert_eq!(
        roles(&server, &dave, &room).await,
        [
            pair(&carol.user_id, "owner"),
            pair(&bob.user_id, "member"),
            pair(&dave.user_id, "member"),
        ]
    );
    leave(&server, &carol, &room).await.assert_status(200);
    assert_eq!(
        roles(&server, &dave, &room).await,
        [pair(&bob.user_id, "owner"), pair(&dave.user_id, "member")]
    );
    // A member who is not the owner leaves without handing anything over.
    let left = leave(&server, &dave, &room).await;
    left.assert_status(200);
    let events = history(&server, &bob, &room).await;
    assert_eq!(
        events.last().expect("events")["content"],
        json!({ "action": "leave", "user_id": dave.user_id })
    );
    assert_eq!(
        roles(&server, &bob, &room).await,
        [pair(&bob.user_id, "owner")]
    );
    // Those who left cannot act any more.
    for gone in [&alice, &carol, &dave] {
        post_message(
            &server,
            gone,
            &room,
            json!({ "txn_id": txn(), "text": "back?" }),
        )
        .await
        .assert_error(403, "NOT_A_MEMBER");
        leave(&server, gone, &room)
            .await
            .assert_error(403, "NOT_A_MEMBER");
    }
}

#[tokio::test]
async fn handing_ownership_over_makes_the_old_owner_an_admin() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Club", &[&bob, &carol]).await;

    let handed = set_role(&server, &alice, &room, &bob.user_id, "owner").await;
    handed.assert_status(200);
    assert_eq!(
        roles(&server, &carol, &room).await,
        [
            pair(&bob.user_id, "owner"),
            pair(&alice.user_id, "admin"),
            pair(&carol.user_id, "member"),
        ]
    );
    let events = history(&server, &carol, &room).await;
    let last = events.last().expect("events");
    assert_eq!(last["event_id"], handed.body["event_id"]);
    assert_eq!(
        last["content"],
        json!({ "action": "role", "user_id": bob.user_id, "role": "owner" })
    );

    // Alice is an admin now: she manages settings but no longer roles or the group itself.
    update_room(&server, &alice, &room, json!({ "topic": "still here" }))
        .await
        .assert_status(200);
    set_role(&server, &alice, &room, &carol.user_id, "admin")
        .await
        .assert_error(403, "FORBIDDEN");
    delete_group(&server, &alice, &room)
        .await
        .assert_error(403, "FORBIDDEN");
    set_role(&server, &bob, &room, &carol.user_id, "admin")
        .await
        .assert_status(200);
}

#[tokio::test]
async fn only_the_owner_deletes_a_group_and_members_keep_its_history() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let room = create_group(&server, &alice, "Doomed", &[&bob, &carol]).await;
    set_role(&server, &alice, &room, &bob.user_id, "admin")
        .await
        .assert_status(200);
    send(&server, &carol, &room, "last words").await;

    delete_group(&server, &bob, &room)
        .await
        .assert_error(403, "FORBIDDEN");
    delete_group(&server, &carol, &room)
        .await
        .assert_error(403, "FORBIDDEN");
    let deleted = delete_group(&server, &alice, &room).await;
    deleted.assert_status(200);

    for user in [&alice, &bob, &carol] {
        post_message(
            &server,
            user,
            &room,
            json!({ "txn_id": txn(), "text": "hello?" }),
        )
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
        let events = history(&server, user, &room).await;
        let last = events.last().expect("events");
        assert_eq!(last["type"], "room.deleted", "{last}");
        assert_eq!(last["event_id"], deleted.body["event_id"]);
        assert!(
            events.iter().any(|e| e["content"]["text"] == "last words"),
            "{events:#?}"
        );
        let listed = summary(&server, user, &room).await.expect("still listed");
        assert_eq!(listed["joined"], false, "{listed}");
        let body = details(&server, user, &room)
            .await
            .assert_status(200)
            .clone();
        assert_eq!(body["members"], json!([]), "{body}");
    }
    add_member(&server, &alice, &room, &dave.user_id)
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    update_room(&server, &alice, &room, json!({ "name": "Revived" }))
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    delete_group(&server, &alice, &room)
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    leave(&server, &carol, &room)
        .await
        .assert_error(404, "ROOM_NOT_FOUND");
    // The deletion is the last event anyone will see.
    let events = history(&server, &alice, &room).await;
    assert_eq!(
        kinds(&events).last(),
        Some(&("room.deleted".to_owned(), None))
    );
}
