//! Wire fixtures of every endpoint: each round-trips without dropping a field, and bodies
//! refuse fields they do not define.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::*;
use crate::events::{EventBody, EventContent, MemberContent, Pdu, SignedEvent};
use crate::keys::KeyId;
use crate::{ErrorCode, RoomId, ServerName, ServerSigningKey, UserId};

const TS: i64 = 1_700_000_000_000;

/// Parses `fixture` (as text, as it travels) and writes it back: nothing may change.
fn round_trip<T: Serialize + DeserializeOwned>(fixture: &Value) -> T {
    let text = fixture.to_string();
    let parsed: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{fixture}: {e}"));
    let written: Value = serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
    assert_eq!(&written, fixture, "the fixture changed in a round trip");
    parsed
}

/// `fixture` with an extra field at `pointer` is refused.
fn refuses_extra_field<T: DeserializeOwned>(fixture: &Value, pointer: &str) {
    let mut changed = fixture.clone();
    changed
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer}"))
        .as_object_mut()
        .unwrap()
        .insert("unexpected".into(), json!(1));
    assert!(
        serde_json::from_str::<T>(&changed.to_string()).is_err(),
        "an unknown field at {pointer:?} was accepted"
    );
}

fn name(s: &str) -> ServerName {
    ServerName::parse(s).unwrap()
}

fn room() -> RoomId {
    RoomId::parse("!Room1:hs1").unwrap()
}

fn join_body() -> EventBody {
    let bob = UserId::parse("@bob:hs2").unwrap();
    EventBody {
        room_id: room(),
        sender: bob.clone(),
        content: EventContent::Member(MemberContent::Add { user_id: bob }),
        origin_ts: TS,
        nonce: "AAAAAAAAAAAA".into(),
    }
}

fn signed() -> SignedEvent {
    let key = ServerSigningKey::from_seed(KeyId::ed25519("o2").unwrap(), &[2; 32]);
    SignedEvent::sign(join_body(), &name("hs2"), &key).unwrap()
}

fn pdu_json(seq: u64) -> Value {
    let key = ServerSigningKey::from_seed(KeyId::ed25519("h1").unwrap(), &[1; 32]);
    serde_json::to_value(Pdu::sequence(signed(), seq, name("hs1"), &key)).unwrap()
}

fn snapshot_json() -> Value {
    json!({
        "room_id": "!Room1:hs1", "host": "hs1", "seq": 7, "kind": "group",
        "name": "Team", "topic": null, "avatar_url": null,
        "members": [
            { "user_id": "@ann:hs1", "role": "owner" },
            { "user_id": "@bob:hs2", "role": "member" },
        ],
    })
}

#[test]
fn send_transaction() {
    let fixture = json!({
        "pdus": [pdu_json(7)],
        "proposals": [serde_json::to_value(signed()).unwrap()],
        "ephemeral": [
            { "type": "typing", "room_id": "!Room1:hs1", "user_id": "@bob:hs2", "typing": true },
            { "type": "receipts", "room_id": "!Room1:hs1", "updates": [
                { "user_id": "@bob:hs2", "delivered_up_to": 7, "read_up_to": 6, "ts": TS },
            ] },
            { "type": "presence", "user_id": "@bob:hs2", "online": false, "last_seen": TS },
            { "type": "presence", "user_id": "@bob:hs2", "online": true, "last_seen": null },
        ],
    });
    let txn: send_transaction::Transaction = round_trip(&fixture);
    assert_eq!(txn.event_count(), 2);
    assert_eq!(txn.pdus[0].parse().unwrap().seq, 7);
    assert_eq!(txn.proposals[0].parse().unwrap(), signed());
    for update in &txn.ephemeral {
        let update = update.parse().unwrap();
        round_trip::<ephemeral::Ephemeral>(&serde_json::to_value(&update).unwrap());
        update.check_origin(&name("hs2")).unwrap();
        let err = update.check_origin(&name("hs3")).unwrap_err();
        assert_eq!(crate::ProtocolError::code(&err), ErrorCode::WrongOrigin);
    }
    refuses_extra_field::<send_transaction::Transaction>(&fixture, "");
    refuses_extra_field::<ephemeral::Ephemeral>(&fixture["ephemeral"][0], "");
    refuses_extra_field::<ephemeral::Ephemeral>(&fixture["ephemeral"][1], "/updates/0");
    // Empty lists are left out; an unknown kind of update fails alone, as raw JSON.
    round_trip::<send_transaction::Transaction>(&json!({}));
    let newer: send_transaction::Transaction =
        round_trip(&json!({ "ephemeral": [{ "type": "reactions.live", "x": 1 }] }));
    assert!(newer.ephemeral[0].parse().is_err());

    let request = send_transaction::Request {
        txn_id: send_transaction::TxnId::parse("1700000000000-42").unwrap(),
        transaction: txn,
    };
    assert_eq!(request.uri(), "/_convo/federation/v1/send/1700000000000-42");
    for bad in ["", "a/b", "a b", &"x".repeat(65)] {
        assert!(send_transaction::TxnId::parse(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn receipts_are_coalesced_per_member() {
    let twice = json!({ "type": "receipts", "room_id": "!Room1:hs1", "updates": [
        { "user_id": "@bob:hs2", "delivered_up_to": 7, "read_up_to": 6, "ts": TS },
        { "user_id": "@bob:hs2", "delivered_up_to": 8, "read_up_to": 6, "ts": TS },
    ] });
    let update: ephemeral::Ephemeral = round_trip(&twice);
    let err = update.check_origin(&name("hs2")).unwrap_err();
    assert_eq!(
        crate::ProtocolError::code(&err),
        ErrorCode::MalformedRequest
    );
}

#[test]
fn send_transaction_answer() {
    let fixture = json!({
        "pdus": [{ "outcome": "accepted" }],
        "proposals": [
            { "outcome": "accepted", "seq": 42 },
            { "outcome": "rejected", "error": { "code": "NOT_A_MEMBER", "message": "@bob:hs2 is not a member" } },
        ],
    });
    let ours: send_transaction::Response = round_trip(&fixture);
    let theirs: send_transaction::PeerResponse = round_trip(&fixture);
    assert_eq!(ours.proposals.len(), theirs.proposals.len());
    refuses_extra_field::<send_transaction::Response>(&fixture, "");
    refuses_extra_field::<send_transaction::Response>(&fixture, "/proposals/0");
    // A newer peer's code reads as the peer's, and is not one of ours.
    let newer = json!({ "proposals": [{ "outcome": "rejected", "error": { "code": "ROOM_FROZEN", "message": "" } }] });
    assert!(serde_json::from_value::<send_transaction::Response>(newer.clone()).is_err());
    let theirs: send_transaction::PeerResponse = round_trip(&newer);
    let send_transaction::Outcome::Rejected { error } = &theirs.proposals[0] else {
        panic!("rejected")
    };
    assert_eq!(error.known_code(), None);
    let event_error = crate::events::EventError::NotSignedByHost { host: name("hs1") };
    let outcome = send_transaction::Outcome::rejected(&event_error);
    assert_eq!(
        serde_json::to_value(outcome).unwrap()["error"]["code"],
        "NOT_SIGNED_BY_HOST"
    );
}

#[test]
fn make_join() {
    let fixture = json!({ "event": serde_json::to_value(join_body()).unwrap() });
    let answer: make_join::Response = round_trip(&fixture);
    assert_eq!(answer.event, join_body());
    refuses_extra_field::<make_join::Response>(&fixture, "");
    let request = make_join::Request {
        room_id: room(),
        user_id: UserId::parse("@bob:[::1]:8448").unwrap(),
    };
    assert_eq!(
        request.uri(),
        "/_convo/federation/v1/make_join/!Room1:hs1/@bob:%5B::1%5D:8448"
    );
}

#[test]
fn send_join() {
    let fixture = json!({
        "event": pdu_json(7),
        "state": snapshot_json(),
        "history": { "events": [pdu_json(7)], "more_before": true },
    });
    let answer: send_join::Response = round_trip(&fixture);
    assert_eq!(answer.state.members.len(), 2);
    refuses_extra_field::<send_join::Response>(&fixture, "");
    refuses_extra_field::<send_join::Response>(&fixture, "/state");
    refuses_extra_field::<send_join::Response>(&fixture, "/state/members/0");
    refuses_extra_field::<send_join::Response>(&fixture, "/history");
    let request = send_join::Request {
        room_id: room(),
        event_id: signed().event_id,
        event: signed(),
    };
    assert_eq!(
        request.uri(),
        format!(
            "/_convo/federation/v1/send_join/!Room1:hs1/{}",
            signed().event_id
        )
    );
    let body: Value = serde_json::from_slice(&request.body().unwrap().unwrap()).unwrap();
    round_trip::<SignedEvent>(&body);
}

#[test]
fn invite() {
    let fixture = json!({
        "event": pdu_json(3),
        "room": { "room_id": "!Room1:hs1", "host": "hs1", "kind": "group", "name": "Team",
                  "avatar_url": null, "member_count": 12 },
    });
    round_trip::<invite::Invite>(&fixture);
    refuses_extra_field::<invite::Invite>(&fixture, "");
    refuses_extra_field::<invite::Invite>(&fixture, "/room");
    round_trip::<invite::Response>(&json!({}));
    refuses_extra_field::<invite::Response>(&json!({}), "");
}

#[test]
fn send_leave() {
    let fixture = json!({ "event": pdu_json(9) });
    round_trip::<send_leave::Response>(&fixture);
    refuses_extra_field::<send_leave::Response>(&fixture, "");
}

#[test]
fn backfill() {
    let fixture = json!({ "room_id": "!Room1:hs1", "events": [pdu_json(1), pdu_json(2)] });
    let answer: backfill::Response = round_trip(&fixture);
    assert_eq!(answer.events[1].parse().unwrap().seq, 2);
    refuses_extra_field::<backfill::Response>(&fixture, "");
}

#[test]
fn get_profile() {
    let fixture = json!({ "user_id": "@bob:hs2", "display_name": "Bob", "avatar_url": null });
    round_trip::<get_profile::Response>(&fixture);
    refuses_extra_field::<get_profile::Response>(&fixture, "");
    let request = get_profile::Request {
        user_id: UserId::parse("@bob:hs2").unwrap(),
    };
    assert_eq!(request.uri(), "/_convo/federation/v1/profile/@bob:hs2");
}

#[test]
fn get_room_state() {
    round_trip::<get_room_state::Response>(&snapshot_json());
    refuses_extra_field::<get_room_state::Response>(&snapshot_json(), "");
    let request = get_room_state::Request { room_id: room() };
    assert_eq!(request.uri(), "/_convo/federation/v1/state/!Room1:hs1");
}

#[test]
fn get_server_keys() {
    let key = ServerSigningKey::from_seed(KeyId::ed25519("k").unwrap(), &[5; 32]);
    let doc = crate::keys::ServerKeys::new_signed(name("hs1"), &[&key], Default::default(), TS);
    round_trip::<get_server_keys::Response>(&serde_json::to_value(doc).unwrap());
    assert_eq!(get_server_keys::Request.uri(), "/_convo/federation/v1/keys");
}

#[test]
fn every_path_template_matches_its_uri() {
    fn template_matches(template: &str, uri: &str) -> bool {
        let path = uri.split('?').next().unwrap();
        let (t, p): (Vec<&str>, Vec<&str>) =
            (template.split('/').collect(), path.split('/').collect());
        t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t.starts_with('{') || t == p)
    }
    let bob = UserId::parse("@bob:hs2").unwrap();
    let id = signed().event_id;
    let cases = [
        (
            get_server_keys::Request::PATH,
            get_server_keys::Request.uri(),
        ),
        (
            send_transaction::Request::PATH,
            "/_convo/federation/v1/send/t1".to_owned(),
        ),
        (
            make_join::Request::PATH,
            make_join::Request {
                room_id: room(),
                user_id: bob.clone(),
            }
            .uri(),
        ),
        (
            send_join::Request::PATH,
            send_join::Request {
                room_id: room(),
                event_id: id.clone(),
                event: signed(),
            }
            .uri(),
        ),
        (
            send_leave::Request::PATH,
            send_leave::Request {
                room_id: room(),
                event_id: id.clone(),
                event: signed(),
            }
            .uri(),
        ),
        (
            backfill::Request::PATH,
            backfill::Request {
                room_id: room(),
                from: 1,
                to: 2,
            }
            .uri(),
        ),
        (
            get_profile::Request::PATH,
            get_profile::Request { user_id: bob }.uri(),
        ),
        (
            get_room_state::Request::PATH,
            get_room_state::Request { room_id: room() }.uri(),
        ),
    ];
    for (template, uri) in cases {
        assert!(template.starts_with(PREFIX), "{template}");
        assert!(template_matches(template, &uri), "{template} vs {uri}");
    }
}
