//! History paging: backwards with `before`/`prev_before` and forwards with `after`, each
//! walking everything the caller may see exactly once, in order.

use serde_json::Value;

use super::{add_member, create_group, messages, send, seq_of};
use crate::helpers::{TestServer, TestUser};

/// Walks backwards from the newest event in pages of `limit`; returns the pages in the order
/// they were fetched.
async fn walk_back(
    server: &TestServer,
    user: &TestUser,
    room: &str,
    limit: u32,
) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut query = format!("limit={limit}");
    loop {
        let reply = messages(server, user, room, &query).await;
        let page = reply.assert_status(200).clone();
        let events = page["events"].as_array().expect("events").clone();
        assert!(events.len() <= limit as usize, "{page}");
        let prev_before = page["prev_before"].as_i64();
        if let Some(before) = prev_before {
            assert_eq!(Some(before), events.first().map(seq_of), "{page}");
            query = format!("limit={limit}&before={before}");
        }
        pages.push(events);
        if prev_before.is_none() {
            return pages;
        }
        assert!(pages.len() < 200, "paging does not end");
    }
}

/// Walks forwards from `after` in pages of `limit` until a page comes back empty.
async fn walk_forward(
    server: &TestServer,
    user: &TestUser,
    room: &str,
    after: i64,
    limit: u32,
) -> Vec<Value> {
    let mut all = Vec::new();
    let mut after = after;
    loop {
        let reply = messages(server, user, room, &format!("limit={limit}&after={after}")).await;
        let events = reply.assert_status(200)["events"]
            .as_array()
            .expect("events")
            .clone();
        let Some(last) = events.last() else {
            return all;
        };
        after = seq_of(last);
        all.extend(events);
        assert!(all.len() < 10_000, "paging does not end");
    }
}

#[track_caller]
fn assert_ascending(events: &[Value]) {
    let seqs: Vec<i64> = events.iter().map(seq_of).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
}

#[tokio::test]
async fn paging_backwards_and_forwards_visits_every_visible_event_once() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let bob = server.user("bob").await;
    let carol = server.user("carol").await;
    let room = create_group(&server, &alice, "Long", &[&bob]).await;
    for i in 0..12 {
        send(
            &server,
            if i % 2 == 0 { &alice } else { &bob },
            &room,
            &format!("a{i}"),
        )
        .await;
    }
    let added = add_member(&server, &alice, &room, &carol.user_id).await;
    let carol_from = seq_of(added.assert_status(200));
    for i in 0..11 {
        send(&server, &carol, &room, &format!("b{i}")).await;
    }
    let newest = carol_from + 11;

    for (user, first) in [(&alice, 1), (&bob, 2), (&carol, carol_from)] {
        let expected: Vec<i64> = (first..=newest).collect();
        for limit in [1, 4, 7, 50] {
            let pages = walk_back(&server, user, &room, limit).await;
            for page in &pages {
                assert_ascending(page);
            }
            let all: Vec<i64> = pages.iter().rev().flatten().map(seq_of).collect();
            assert_eq!(all, expected, "{} backwards, limit {limit}", user.username);
            let forward: Vec<i64> = walk_forward(&server, user, &room, 0, limit)
                .await
                .iter()
                .map(seq_of)
                .collect();
            assert_eq!(
                forward, expected,
                "{} forwards, limit {limit}",
                user.username
            );
        }
    }
}

#[tokio::test]
async fn the_newest_page_holds_fifty_events_by_default() {
    let server = TestServer::spawn().await;
    let alice = server.user("alice").await;
    let room = create_group(&server, &alice, "Default", &[]).await;
    for i in 0..55 {
        send(&server, &alice, &room, &format!("m{i}")).await;
    }
    let page = messages(&server, &alice, &room, "").await;
    let page = page.assert_status(200).clone();
    let events = page["events"].as_array().expect("events");
    assert_eq!(events.len(), 50);
    assert_eq!(events.first().map(seq_of), Some(7));
    assert_eq!(events.last().map(seq_of), Some(56));
    assert_eq!(page["prev_before"], 7);
    assert_eq!(page["read_up_to"], 0);
}
