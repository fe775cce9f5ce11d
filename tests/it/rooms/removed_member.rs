//! A member who was removed, or who left, keeps the room as it was when they went, settings
//! and members included: the details and the room list do not show the name, topic, avatar,
//! members or roles it got afterwards. Current members see the room as it is.

use serde_json::{Value, json};

use super::{
    ROOMS, add_member, details, leave, remove_member, room_path, set_role, summary, token,
    update_room,
};
use crate::helpers::{TestServer, TestUser};

/// `(user_id, role)` of each member the details list, in their order.
fn members(details: &Value) -> Vec<(String, String)> {
    details["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["user_id"].as_str().expect("user_id").to_owned(),
                m["role"].as_str().expect("role").to_owned(),
            )
        })
        .collect()
}

fn member(user: &TestUser, role: &str) -> (String, String) {
    (user.user_id.clone(), role.to_owned())
}

/// `(name, topic, avatar_url)` of details or a room list entry.
fn settings(value: &Value) -> (Value, Value, Value) {
    (
        value["name"].clone(),
        value["topic"].clone(),
        value["avatar_url"].clone(),
    )
}

#[tokio::test]
async fn who_was_removed_or_left_sees_the_room_as_it_was_then() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let dave = server.user("dave").await;
    let erin = server.user("erin").await;
    let created = server
        .post(
            ROOMS,
            token(&alice),
            json!({
                "name": "Club",
                "topic": "before",
                "avatar_url": "https://example.org/old.png",
                "members": [bob.user_id, carol.user_id, erin.user_id],
            }),
        )
        .await;
    let room = created.assert_status(201)["room_id"]
        .as_str()
        .expect("room_id")
        .to_owned();
    let old = (
        json!("Club"),
        json!("before"),
        json!("https://example.org/old.png"),
    );

    // Bob is removed, then Erin leaves.
    remove_member(&server, &alice, &room, &bob.user_id)
        .await
        .assert_status(200);
    leave(&server, &erin, &room).await.assert_status(200);

    // Afterwards everything about the room changes.
    update_room(
        &server,
        &alice,
        &room,
        json!({ "name": "Club 2", "topic": "after", "avatar_url": "https://example.org/new.png" }),
    )
    .await
    .assert_status(200);
    add_member(&server, &alice, &room, &dave.user_id)
        .await
        .assert_status(200);
    set_role(&server, &alice, &room, &carol.user_id, "admin")
        .await
        .assert_status(200);

    // Bob: as right after his removal (himself no longer among the members).
    let bobs = details(&server, &bob, &room).await;
    let bobs = bobs.assert_status(200);
    assert_eq!(settings(bobs), old, "{bobs}");
    assert_eq!(
        members(bobs),
        [
            member(&alice, "owner"),
            member(&carol, "member"),
            member(&erin, "member")
        ],
        "{bobs}"
    );
    let listed = summary(&server, &bob, &room).await.expect("still listed");
    assert_eq!(listed["joined"], false, "{listed}");
    assert_eq!(settings(&listed), old, "{listed}");

    // Erin: as right after she left (Bob already gone, Dave not yet there).
    let erins = details(&server, &erin, &room).await;
    let erins = erins.assert_status(200);
    assert_eq!(settings(erins), old, "{erins}");
    assert_eq!(
        members(erins),
        [member(&alice, "owner"), member(&carol, "member")],
        "{erins}"
    );
    let listed = summary(&server, &erin, &room).await.expect("still listed");
    assert_eq!(listed["joined"], false, "{listed}");
    assert_eq!(settings(&listed), old, "{listed}");

    // Carol, still a member, sees it as it is now.
    let new = (
        json!("Club 2"),
        json!("after"),
        json!("https://example.org/new.png"),
    );
    let carols = details(&server, &carol, &room).await;
    let carols = carols.assert_status(200);
    assert_eq!(settings(carols), new, "{carols}");
    assert_eq!(
        members(carols),
        [
            member(&alice, "owner"),
            member(&carol, "admin"),
            member(&dave, "member")
        ],
        "{carols}"
    );
    let listed = summary(&server, &carol, &room).await.expect("listed");
    assert_eq!(listed["joined"], true, "{listed}");
    assert_eq!(settings(&listed), new, "{listed}");
    let daves = details(&server, &dave, &room).await;
    assert_eq!(members(daves.assert_status(200)), members(carols));

    // Bob's history ends at his removal as well.
    let history = server
        .get(&room_path(&room, "/messages"), token(&bob))
        .await;
    let history = history.assert_status(200)["events"].to_string();
    for later in ["Club 2", "after", "new.png", dave.user_id.as_str()] {
        assert!(!history.contains(later), "{later} in {history}");
    }
}
