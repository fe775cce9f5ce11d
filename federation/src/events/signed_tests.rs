//! Tests of signed and sequenced events: round trips, fixtures, and every rejection.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;
use crate::error::{ErrorCode, ProtocolError};
use crate::keys::{KeyId, KeyLookupError, OldVerifyKey, ServerKeys, StaticKeys};
use crate::{RoomId, ServerName, ServerSigningKey, Signatures, UserId};

const TS: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

fn name(s: &str) -> ServerName {
    ServerName::parse(s).unwrap()
}

fn key(version: &str, seed: u8) -> ServerSigningKey {
    ServerSigningKey::from_seed(KeyId::ed25519(version).unwrap(), &[seed; 32])
}

/// hs1 hosts the room, hs2 is a member's server, hs3 another server.
fn keys() -> StaticKeys {
    let mut keys = StaticKeys::new();
    for (server, k) in [
        ("hs1", key("h1", 1)),
        ("hs2", key("o2", 2)),
        ("hs3", key("e3", 3)),
    ] {
        let doc = ServerKeys::new_signed(name(server), &[&k], BTreeMap::new(), TS + DAY);
        keys.insert_document(&doc).unwrap();
    }
    keys
}

fn body(sender: &str) -> EventBody {
    EventBody {
        room_id: RoomId::parse("!Room1:hs1").unwrap(),
        sender: UserId::parse(sender).unwrap(),
        content: EventContent::Message(MessageContent {
            text: "hi".into(),
            reply_to: None,
        }),
        origin_ts: TS,
        nonce: "AAAAAAAAAAAA".into(),
    }
}

fn proposal() -> SignedEvent {
    SignedEvent::sign(body("@bob:hs2"), &name("hs2"), &key("o2", 2)).unwrap()
}

fn pdu() -> Pdu {
    Pdu::sequence(proposal(), 42, name("hs1"), &key("h1", 1))
}

async fn check_pdu(pdu: &Pdu) -> Result<(), EventError> {
    verify_pdu(pdu, &name("hs1"), &keys()).await
}

#[tokio::test]
async fn a_signed_event_round_trips_and_verifies() {
    let event = proposal();
    verify_signed_event(&event, &keys()).await.unwrap();
    verify_proposal(&event, &name("hs2"), &keys())
        .await
        .unwrap();
    let json = serde_json::to_string(&event).unwrap();
    let back = SignedEvent::from_json(&json).unwrap();
    assert_eq!(back, event);
    assert_eq!(serde_json::to_string(&back).unwrap(), json);
}

#[tokio::test]
async fn a_pdu_fixture_round_trips_without_dropping_a_field() {
    let pdu = pdu();
    check_pdu(&pdu).await.unwrap();
    let value = serde_json::to_value(&pdu).unwrap();
    let fields: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "body",
            "event_id",
            "host",
            "host_signatures",
            "seq",
            "signatures"
        ]
    );
    assert_eq!(value["seq"], 42);
    assert_eq!(value["host"], "hs1");
    assert_eq!(value["event_id"], body("@bob:hs2").event_id().as_str());
    assert_eq!(
        value["body"],
        json!({
            "room_id": "!Room1:hs1", "sender": "@bob:hs2", "type": "message",
            "content": { "text": "hi" }, "origin_ts": TS, "nonce": "AAAAAAAAAAAA",
        })
    );
    let back = Pdu::from_json(&value.to_string()).unwrap();
    assert_eq!(serde_json::to_value(&back).unwrap(), value);
    assert_eq!(back.signed_event(), proposal());
}

#[test]
fn the_signatures_are_deterministic_known_answers() {
    // ed25519 is deterministic: a change of the signed bytes shows here.
    let event = proposal();
    let origin_sig =
        event.signatures.by(&name("hs2")).unwrap()[&KeyId::ed25519("o2").unwrap()].clone();
    assert_eq!(
        origin_sig,
        key("o2", 2).sign(&canonical_json(&body("@bob:hs2")).unwrap())
    );
    let host_bytes = format!(
        r#"{{"event_id":"{}","host":"hs1","room_id":"!Room1:hs1","seq":42}}"#,
        event.event_id
    );
    let pdu = pdu();
    assert_eq!(
        pdu.host_signatures[&KeyId::ed25519("h1").unwrap()],
        key("h1", 1).sign(host_bytes.as_bytes())
    );
}

#[tokio::test]
async fn tampered_content_is_refused() {
    // The text changed, the id kept: the id does not match.
    let mut event = proposal();
    event.body.content = EventContent::Message(MessageContent {
        text: "send money".into(),
        reply_to: None,
    });
    let err = verify_signed_event(&event, &keys()).await.unwrap_err();
    assert!(matches!(err, EventError::IdMismatch { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::TamperedContent);

    // The text and the id changed: the origin's signature does not verify.
    event.event_id = event.body.event_id();
    let err = verify_signed_event(&event, &keys()).await.unwrap_err();
    assert!(matches!(err, EventError::BadSignature { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::BadSignature);
}

#[tokio::test]
async fn a_forged_signature_is_refused() {
    let mut event = proposal();
    let forged = key("o2", 99).sign(&canonical_json(&event.body).unwrap());
    event.signatures = Signatures::new();
    event
        .signatures
        .insert(name("hs2"), KeyId::ed25519("o2").unwrap(), forged);
    let err = verify_signed_event(&event, &keys()).await.unwrap_err();
    assert!(matches!(err, EventError::BadSignature { .. }), "{err:?}");

    let mut garbage = proposal();
    garbage.signatures = Signatures::new();
    garbage
        .signatures
        .insert(name("hs2"), KeyId::ed25519("o2").unwrap(), "!!".into());
    let err = verify_signed_event(&garbage, &keys()).await.unwrap_err();
    assert!(matches!(err, EventError::BadSignature { .. }), "{err:?}");
}

#[tokio::test]
async fn a_sender_not_on_the_origin_is_refused() {
    // hs3 cannot sign for hs2's users...
    let err = SignedEvent::sign(body("@bob:hs2"), &name("hs3"), &key("e3", 3)).unwrap_err();
    assert!(matches!(err, EventError::WrongOrigin { .. }), "{err:?}");

    // ...nor propose hs2's event as its own.
    let err = verify_proposal(&proposal(), &name("hs3"), &keys())
        .await
        .unwrap_err();
    assert!(matches!(err, EventError::WrongOrigin { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::WrongOrigin);

    // A member's server forging another member's event: hs3 signs a body whose sender is on hs2.
    let forged_body = body("@carol:hs2");
    let mut signatures = Signatures::new();
    signatures.insert(
        name("hs3"),
        KeyId::ed25519("e3").unwrap(),
        key("e3", 3).sign(&canonical_json(&forged_body).unwrap()),
    );
    let forged = SignedEvent {
        event_id: forged_body.event_id(),
        body: forged_body,
        signatures,
    };
    let err = verify_signed_event(&forged, &keys()).await.unwrap_err();
    assert!(
        matches!(err, EventError::UnexpectedSignature { .. }),
        "{err:?}"
    );
    let err = verify_proposal(&forged, &name("hs3"), &keys())
        .await
        .unwrap_err();
    assert!(matches!(err, EventError::WrongOrigin { .. }), "{err:?}");
}

#[tokio::test]
async fn a_missing_or_extra_signature_is_refused() {
    let mut unsigned = proposal();
    unsigned.signatures = Signatures::new();
    let err = verify_signed_event(&unsigned, &keys()).await.unwrap_err();
    assert!(
        matches!(err, EventError::NotSignedByOrigin { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::NotSignedByOrigin);

    let mut many = proposal();
    for i in 0..5 {
        many.signatures.insert(
            name("hs2"),
            KeyId::ed25519(&format!("x{i}")).unwrap(),
            "s".into(),
        );
    }
    let err = verify_signed_event(&many, &keys()).await.unwrap_err();
    assert!(
        matches!(err, EventError::TooManySignatures { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_unknown_key_is_refused() {
    let event = SignedEvent::sign(body("@bob:hs2"), &name("hs2"), &key("new", 8)).unwrap();
    let err = verify_signed_event(&event, &keys()).await.unwrap_err();
    assert!(
        matches!(err, EventError::Key(KeyLookupError::UnknownKey { .. })),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::UnknownKey);
}

#[tokio::test]
async fn events_signed_with_a_rotated_out_key_still_verify() {
    let (old, new) = (key("o2", 2), key("o3", 4));
    let retired = TS + 1_000;
    let mut keys = StaticKeys::new();
    let doc = ServerKeys::new_signed(
        name("hs2"),
        &[&new],
        BTreeMap::from([(
            old.key_id().clone(),
            OldVerifyKey {
                key: old.public_key(),
                expired_ts: retired,
            },
        )]),
        TS + DAY,
    );
    keys.insert_document(&doc).unwrap();
    verify_signed_event(&proposal(), &keys).await.unwrap();

    // The old key signing something dated after it was retired is refused.
    let mut late = body("@bob:hs2");
    late.origin_ts = retired;
    let event = SignedEvent::sign(late, &name("hs2"), &old).unwrap();
    let err = verify_signed_event(&event, &keys).await.unwrap_err();
    assert_eq!(err.code(), ErrorCode::KeyExpired, "{err:?}");
}

#[tokio::test]
async fn the_hosts_countersignature_is_checked() {
    let mut unsigned = pdu();
    unsigned.host_signatures.clear();
    let err = check_pdu(&unsigned).await.unwrap_err();
    assert!(matches!(err, EventError::NotSignedByHost { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::NotSignedByHost);

    // A changed seq (the host's word) no longer verifies.
    let mut moved = pdu();
    moved.seq = 43;
    let err = check_pdu(&moved).await.unwrap_err();
    assert!(
        matches!(err, EventError::BadHostSignature { .. }),
        "{err:?}"
    );

    // Sequenced by hs3, which is not the room's host.
    let by_other = Pdu::sequence(proposal(), 42, name("hs3"), &key("e3", 3));
    let err = check_pdu(&by_other).await.unwrap_err();
    assert!(matches!(err, EventError::WrongHost { .. }), "{err:?}");
    assert_eq!(err.code(), ErrorCode::NotHost);

    // hs3 claiming hs1 sequenced it, signing with its own key under hs1's name.
    let mut claimed = Pdu::sequence(proposal(), 42, name("hs1"), &key("e3", 3));
    claimed.host_signatures = BTreeMap::from([(
        KeyId::ed25519("h1").unwrap(),
        claimed.host_signatures.values().next().unwrap().clone(),
    )]);
    let err = check_pdu(&claimed).await.unwrap_err();
    assert!(
        matches!(err, EventError::BadHostSignature { .. }),
        "{err:?}"
    );

    let mut zero = pdu();
    zero.seq = 0;
    assert!(matches!(
        check_pdu(&zero).await,
        Err(EventError::Malformed { .. })
    ));

    // Relayed by a server that is not the host.
    let err = verify_pdu_from(&pdu(), &name("hs3"), &name("hs1"), &keys())
        .await
        .unwrap_err();
    assert!(matches!(err, EventError::NotFromHost { .. }), "{err:?}");
    verify_pdu_from(&pdu(), &name("hs1"), &name("hs1"), &keys())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_local_event_carries_both_signatures_of_one_server() {
    // The host's own user: origin and host are one server, the signatures are apart.
    let event = SignedEvent::sign(body("@ann:hs1"), &name("hs1"), &key("h1", 1)).unwrap();
    let pdu = Pdu::sequence(event, 1, name("hs1"), &key("h1", 1));
    check_pdu(&pdu).await.unwrap();
}

#[test]
fn bodies_not_in_exact_form_are_malformed() {
    let good = serde_json::to_value(pdu()).unwrap();
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Change)> = vec![
        (
            "unknown body field",
            Box::new(|v| v["body"]["unsigned"] = json!("x")),
        ),
        ("unknown top field", Box::new(|v| v["age"] = json!(5))),
        (
            "server not in normal form",
            Box::new(|v| v["body"]["sender"] = json!("@bob:HS2")),
        ),
        (
            "null for an absent field",
            Box::new(|v| v["body"]["content"]["reply_to"] = Value::Null),
        ),
        (
            "unknown content field",
            Box::new(|v| v["body"]["content"]["html"] = json!("<b>")),
        ),
        ("negative seq", Box::new(|v| v["seq"] = json!(-1))),
        (
            "missing host",
            Box::new(|v| drop(v.as_object_mut().unwrap().remove("host"))),
        ),
        ("bad event id", Box::new(|v| v["event_id"] = json!("$abc"))),
    ];
    for (what, change) in cases {
        let mut value = good.clone();
        change(&mut value);
        let err = Pdu::from_json(&value.to_string()).unwrap_err();
        assert!(
            matches!(err, EventError::Malformed { .. }),
            "{what}: {err:?}"
        );
        assert_eq!(err.code(), ErrorCode::MalformedEvent, "{what}");
    }
    // Key order and escapes are not part of the form.
    let mut reordered = good.to_string();
    reordered = reordered.replace(r#""text":"hi""#, r#""text":"\u0068i""#);
    assert_eq!(Pdu::from_json(&reordered).unwrap(), pdu());
}

#[test]
fn an_event_from_the_future_is_refused() {
    let body = body("@bob:hs2");
    check_origin_ts(&body, TS - 60_000, 60_000).unwrap();
    check_origin_ts(&body, TS + DAY, 60_000).unwrap();
    let err = check_origin_ts(&body, TS - 60_001, 60_000).unwrap_err();
    assert!(
        matches!(err, EventError::OriginTsInFuture { .. }),
        "{err:?}"
    );
    assert_eq!(err.code(), ErrorCode::FutureTimestamp);
}
