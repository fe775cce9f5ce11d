//! A snapshot that cannot be made is an error to the client, not an empty chat list: a new
//! device whose chats cannot be loaded gets an `error` (UNAVAILABLE) and close 1011, and
//! reconnects; once the database answers again it gets its real snapshot.

use super::{direct, online};
use crate::helpers::{TestServer, Ws};

#[tokio::test]
async fn a_failed_snapshot_is_an_error_and_close_1011_not_an_empty_list() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = direct(&server, &alice, &bob).await;

    // The room list reads `hidden_events`; sign-in does not. (No room list was asked for yet,
    // so no connection holds a statement prepared before the table went.)
    server
        .execute_sql(
            "ALTER TABLE hidden_events RENAME TO hidden_events_away",
            "ALTER TABLE hidden_events RENAME TO hidden_events_away",
        )
        .await;
    let (mut ws, hello) = Ws::connect(&server, &alice.access_token, None).await;
    assert_eq!(hello["type"], "ack", "signed in: {hello}");
    let error = ws.next("error").await;
    assert_eq!(error["code"], "UNAVAILABLE", "{error}");
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{error}"
    );
    assert_eq!(ws.closed_with().await, Some(1011));
    let unasked = ws.drain();
    assert!(
        unasked.iter().all(|f| f["type"] != "snapshot"),
        "a snapshot besides the error: {unasked:?}"
    );

    // Once the database is whole again, the device gets its chats.
    server
        .execute_sql(
            "ALTER TABLE hidden_events_away RENAME TO hidden_events",
            "ALTER TABLE hidden_events_away RENAME TO hidden_events",
        )
        .await;
    let (_ws, snapshot) = online(&server, &alice).await;
    let rooms = snapshot["rooms"].as_array().expect("rooms");
    assert_eq!(rooms.len(), 1, "{snapshot}");
    assert_eq!(rooms[0]["room_id"], room.as_str());
}
