//! Presence: people who share a room hear when a user comes online and, after a grace period,
//! goes offline with a last-seen time; strangers hear nothing; snapshots list contacts, and a
//! resuming device hears them before `synced`.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{LATE, QUIET, direct, group, online};
use crate::helpers::{TestServer, Ws};

/// The grace period of these tests: long enough for a reconnect on a loaded machine to come
/// well within it.
const GRACE: Duration = Duration::from_secs(2);

async fn spawn() -> TestServer {
    TestServer::spawn_with(|c| c.gateway.presence_grace_secs = GRACE.as_secs()).await
}

/// Whether `frame` is a presence frame about `user_id`.
fn presence_of(frame: &Value, user_id: &str) -> bool {
    frame["type"] == "presence" && frame["user_id"] == user_id
}

#[tokio::test]
async fn contacts_see_online_then_offline_after_the_grace_period() {
    let server = spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let dave = server.user("dave").await;
    direct(&server, &alice, &bob).await;
    let (mut a, _) = online(&server, &alice).await;
    let (mut d, _) = online(&server, &dave).await;

    let (b, _) = online(&server, &bob).await;
    let frame = a.wait_for(|f| presence_of(f, &bob.user_id)).await;
    assert_eq!(frame["online"], true, "{frame}");
    assert!(frame.get("last_seen").is_none_or(Value::is_null), "{frame}");

    // Before the close: the grace period cannot start earlier.
    let closed = Instant::now();
    b.close().await;
    let frame = a.wait_for(|f| presence_of(f, &bob.user_id)).await;
    let after = closed.elapsed();
    assert_eq!(frame["online"], false, "{frame}");
    let last_seen = frame["last_seen"].as_i64().expect("last_seen");
    assert!(last_seen > 1_600_000_000_000, "{frame}");
    assert!(
        after >= GRACE && after < GRACE + LATE,
        "offline after {after:?}"
    );
    // Dave shares no room with Bob: nothing about him.
    d.assert_none(QUIET, |f| f["type"] == "presence").await;
}

#[tokio::test]
async fn a_reconnect_within_the_grace_period_shows_no_offline() {
    let server = spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    direct(&server, &alice, &bob).await;
    let (mut a, _) = online(&server, &alice).await;
    let (b, _) = online(&server, &bob).await;
    a.wait_for(|f| presence_of(f, &bob.user_id)).await;

    let closed = Instant::now();
    b.close().await;
    // A short drop (long enough for the server to see it, as a rule).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_b, _) = online(&server, &bob).await;
    let back = closed.elapsed();
    assert!(
        back < GRACE,
        "reconnecting took {back:?}, longer than the grace period"
    );
    // Past the end of the first connection's grace period: still no offline.
    a.assert_none(GRACE - back + QUIET, |f| {
        presence_of(f, &bob.user_id) && f["online"] == false
    })
    .await;
}

#[tokio::test]
async fn offline_waits_for_the_grace_period_after_the_last_disconnect() {
    let server = spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    direct(&server, &alice, &bob).await;
    let (mut a, _) = online(&server, &alice).await;
    let (b, _) = online(&server, &bob).await;
    a.wait_for(|f| presence_of(f, &bob.user_id)).await;

    // A short drop, back until the first drop's timer has run out, then gone: offline comes a
    // full grace period after the second disconnect, not when the first one's timer runs out.
    let dropped = Instant::now();
    b.close().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (b, _) = online(&server, &bob).await;
    let back = dropped.elapsed();
    assert!(
        back < GRACE,
        "reconnecting took {back:?}, longer than the grace period"
    );
    tokio::time::sleep(GRACE - back + QUIET).await;
    let gone = Instant::now();
    b.close().await;
    let frame = a
        .wait_for(|f| presence_of(f, &bob.user_id) && f["online"] == false)
        .await;
    let after = gone.elapsed();
    assert!(
        after >= GRACE && after < GRACE + LATE,
        "offline {after:?} after the last disconnect, not a grace period ({GRACE:?})"
    );
    assert!(frame["last_seen"].is_i64());
}

#[tokio::test]
async fn the_snapshot_lists_the_presence_of_contacts_only() {
    let server = spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let erin = server.user("erin").await;
    let dave = server.user("dave").await;
    direct(&server, &alice, &bob).await;
    group(&server, &alice, &[&carol, &erin]).await;
    let (_d, _) = online(&server, &dave).await;
    let (_b, _) = online(&server, &bob).await;

    // Erin was online and left: she has a last seen.
    let (mut watcher, _) = online(&server, &carol).await;
    let (e, _) = online(&server, &erin).await;
    e.close().await;
    watcher
        .wait_for(|f| presence_of(f, &erin.user_id) && f["online"] == false)
        .await;

    let (_, snapshot) = online(&server, &alice).await;
    let mut entries: Vec<Value> = snapshot["presence"].as_array().expect("presence").clone();
    entries.sort_by(|x, y| x["user_id"].as_str().cmp(&y["user_id"].as_str()));
    let users: Vec<&str> = entries
        .iter()
        .map(|p| p["user_id"].as_str().unwrap())
        .collect();
    let mut expected = vec![
        bob.user_id.as_str(),
        carol.user_id.as_str(),
        erin.user_id.as_str(),
    ];
    expected.sort_unstable();
    assert_eq!(users, expected, "{snapshot}");
    let of = |user: &str| entries.iter().find(|p| p["user_id"] == user).unwrap();
    assert_eq!(of(&bob.user_id)["online"], true);
    assert_eq!(of(&carol.user_id)["online"], true);
    assert_eq!(of(&erin.user_id)["online"], false);
    assert!(of(&erin.user_id)["last_seen"].is_i64(), "{snapshot}");

    // A user with no contacts has an empty list.
    let loner = server.user("loner").await;
    let (mut l, hello) = Ws::connect(&server, &loner.access_token, None).await;
    assert_eq!(hello["type"], "ack");
    assert_eq!(l.next("snapshot").await["presence"], serde_json::json!([]));
}

#[tokio::test]
async fn a_hidden_last_seen_shows_only_offline() {
    let server = spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    direct(&server, &alice, &bob).await;
    server
        .put(
            "/api/v1/users/me/privacy",
            Some(&bob.access_token),
            serde_json::json!({ "last_seen": "nobody" }),
        )
        .await
        .assert_status(200);
    let (mut a, _) = online(&server, &alice).await;
    let (b, _) = online(&server, &bob).await;
    assert_eq!(
        a.wait_for(|f| presence_of(f, &bob.user_id)).await["online"],
        true
    );
    b.close().await;
    let frame = a.wait_for(|f| presence_of(f, &bob.user_id)).await;
    assert_eq!(frame["online"], false, "{frame}");
    assert!(frame["last_seen"].is_null(), "{frame}");

    let (_, snapshot) = online(&server, &alice).await;
    let entry = &snapshot["presence"][0];
    assert_eq!(entry["user_id"], bob.user_id.as_str(), "{snapshot}");
    assert_eq!(entry["online"], false);
    assert!(entry["last_seen"].is_null(), "{snapshot}");
}

/// Presence is not part of the event stream, so a device that resumes (`since`) instead of
/// taking a snapshot has missed every change while it was away, or all of them at once when
/// the server restarted. It hears its contacts' presence as it is now before `synced`.
#[tokio::test]
async fn a_resuming_device_hears_its_contacts_presence_before_synced() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    direct(&server, &alice, &bob).await;
    direct(&server, &alice, &carol).await;
    let (a, snapshot) = online(&server, &alice).await;
    let pos = snapshot["pos"].as_i64().expect("pos");
    a.close().await;

    // While Alice is away, Bob comes online: she is not there to hear it.
    let (_b, _) = online(&server, &bob).await;
    let (mut a, hello) = Ws::connect(&server, &alice.access_token, Some(pos)).await;
    assert_eq!(hello["type"], "ack", "{hello}");
    let mut heard = Vec::new();
    loop {
        let frame = a
            .wait_for(|f| f["type"] == "presence" || f["type"] == "synced")
            .await;
        if frame["type"] == "synced" {
            break;
        }
        heard.push(frame);
    }
    heard.sort_by(|x, y| x["user_id"].as_str().cmp(&y["user_id"].as_str()));
    let states: Vec<(&str, bool)> = heard
        .iter()
        .map(|f| {
            (
                f["user_id"].as_str().unwrap(),
                f["online"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            (bob.user_id.as_str(), true),
            (carol.user_id.as_str(), false)
        ],
        "{heard:?}"
    );
}
