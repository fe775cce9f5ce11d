//! Deleting a message for everyone removes its text everywhere it was kept: the message, and
//! the edits and reaction events that name it, show `content: null` and `deleted: true` in
//! history; a device resuming from the start of the stream and a new device's snapshot get
//! no trace of the text or the reactions either.

use serde_json::{Value, json};

use super::{create_group, event_path, history, id_of, send, token, txn};
use crate::helpers::{TestServer, Ws};

/// Words only the deleted message and its edits and reactions contain.
const SECRETS: [&str; 4] = ["first draft", "second draft", "third draft", "🦄"];

#[track_caller]
fn assert_no_secret(json: &str, place: &str) {
    for secret in SECRETS {
        assert!(
            !json.contains(secret),
            "{secret:?} is still in {place}: {json}"
        );
    }
}

#[tokio::test]
async fn edits_and_reactions_lose_the_text_of_a_message_deleted_for_everyone() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let room = create_group(&server, &alice, "Drafts", &[&bob]).await;
    send(&server, &alice, &room, "a message that stays").await;
    let message = send(&server, &alice, &room, "first draft").await;
    let target = id_of(&message).to_owned();
    let mut related = Vec::new();
    for text in ["second draft", "third draft"] {
        let edit = server
            .put(
                &event_path(&room, &target, ""),
                token(&alice),
                json!({ "txn_id": txn(), "text": text }),
            )
            .await;
        related.push(edit.assert_status(200)["event_id"].clone());
    }
    for who in [&bob, &alice] {
        let reaction = server
            .put(
                &event_path(&room, &target, "/reaction"),
                token(who),
                json!({ "txn_id": txn(), "emoji": "🦄" }),
            )
            .await;
        related.push(reaction.assert_status(200)["event_id"].clone());
    }
    server
        .delete(&event_path(&room, &target, ""), token(&alice))
        .await
        .assert_status(200);

    // History, for the sender and for the other member.
    for viewer in [&alice, &bob] {
        let events = history(&server, viewer, &room).await;
        let by_id = |id: &str| -> Value {
            events
                .iter()
                .find(|e| e["event_id"] == id)
                .cloned()
                .unwrap_or_else(|| panic!("no event {id}"))
        };
        let shown = by_id(&target);
        assert_eq!(
            (shown["deleted"].clone(), shown["content"].clone()),
            (json!(true), Value::Null),
            "{shown}"
        );
        assert_eq!(shown["reactions"], json!([]), "{shown}");
        for id in &related {
            let shown = by_id(id.as_str().unwrap());
            assert!(
                shown["type"] == "message.edit" || shown["type"] == "message.reaction",
                "{shown}"
            );
            assert_eq!(shown["deleted"], true, "{shown}");
            assert!(shown["content"].is_null(), "{shown}");
        }
        let deletion = events
            .iter()
            .find(|e| e["type"] == "message.delete")
            .expect("the deletion is in history");
        assert_eq!(deletion["content"]["target"], target.as_str());
        assert_eq!(deletion["deleted"], false);
        let all = serde_json::to_string(&events).unwrap();
        assert_no_secret(&all, "history");
        assert!(all.contains("a message that stays"), "{all}");
    }

    // A device resuming from the start of the stream.
    let (mut ws, hello) = Ws::connect(&server, &bob.access_token, Some(0)).await;
    assert_eq!(hello["type"], "ack", "{hello}");
    ws.next("synced").await;
    let frames = ws.drain();
    let stream: Vec<&Value> = frames
        .iter()
        .filter(|f| f["type"] == "event")
        .map(|f| &f["event"])
        .collect();
    for id in related.iter().chain([&json!(target)]) {
        let event = stream
            .iter()
            .find(|e| e["event_id"] == *id)
            .unwrap_or_else(|| panic!("{id} not in the stream: {frames:?}"));
        assert!(event["content"].is_null(), "{event}");
    }
    assert_no_secret(
        &serde_json::to_string(&frames).unwrap(),
        "the resumed stream",
    );
    ws.close().await;

    // A new device's snapshot: the deleted message is the last one, without its text.
    let (mut ws, _) = Ws::connect(&server, &bob.access_token, None).await;
    let snapshot = ws.next("snapshot").await;
    let last = &snapshot["rooms"][0]["last_message"];
    assert_eq!(last["event_id"], target.as_str(), "{snapshot}");
    assert_eq!(last["deleted"], true, "{snapshot}");
    assert!(last["content"].is_null(), "{snapshot}");
    assert_no_secret(&snapshot.to_string(), "the snapshot");
}
