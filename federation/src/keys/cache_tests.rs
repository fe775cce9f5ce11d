//! Tests of the key cache: one fetch, refetch once, the interval and the backoff, validity,
//! forged documents, rotation, pinned keys.

use std::sync::atomic::{AtomicUsize, Ordering};

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use super::cache::*;
use super::{KeyId, KeyLookupError, KnownKeys, ServerKeys};
use crate::ServerName;
use crate::ServerSigningKey;
use crate::clock::ManualClock;
use crate::keys::OldVerifyKey;

const NOW: i64 = 1_700_000_000_000;
const DAY: i64 = 86_400_000;

fn server() -> ServerName {
    ServerName::parse("hs2.example").unwrap()
}

fn key(version: &str, seed: u8) -> ServerSigningKey {
    ServerSigningKey::from_seed(KeyId::ed25519(version).unwrap(), &[seed; 32])
}

/// Serves whatever document it holds (or fails), counting fetches.
#[derive(Default)]
struct FakeFetcher {
    document: Mutex<Option<ServerKeys>>,
    fetches: AtomicUsize,
}

impl FakeFetcher {
    fn serve(&self, document: Option<ServerKeys>) {
        *self.document.lock().unwrap() = document;
    }

    fn count(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl KeyFetcher for Arc<FakeFetcher> {
    async fn fetch(&self, _server: &ServerName) -> Result<ServerKeys, BoxError> {
        self.fetches.fetch_add(1, Ordering::SeqCst);
        tokio::task::yield_now().await;
        self.document
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| "connection refused".into())
    }
}

impl KeyStore for Arc<MemoryKeyStore> {
    async fn load(&self, server: &ServerName) -> Result<Option<KnownKeys>, BoxError> {
        (**self).load(server).await
    }

    async fn save(&self, keys: &KnownKeys) -> Result<(), BoxError> {
        (**self).save(keys).await
    }
}

struct Setup {
    clock: ManualClock,
    fetcher: Arc<FakeFetcher>,
    store: Arc<MemoryKeyStore>,
    cache: KeyCache<Arc<MemoryKeyStore>, Arc<FakeFetcher>>,
}

fn setup() -> Setup {
    let clock = ManualClock::new(NOW);
    let fetcher = Arc::new(FakeFetcher::default());
    let store = Arc::new(MemoryKeyStore::default());
    let cache = KeyCache::new(
        KeyCacheConfig::default(),
        Arc::new(clock.clone()),
        store.clone(),
        fetcher.clone(),
    );
    Setup {
        clock,
        fetcher,
        store,
        cache,
    }
}

fn document(current: &ServerSigningKey, valid_until: i64) -> ServerKeys {
    ServerKeys::new_signed(server(), &[current], BTreeMap::new(), valid_until)
}

#[tokio::test]
async fn fetches_once_then_serves_from_memory_and_storage() {
    let s = setup();
    let k1 = key("k1", 1);
    s.fetcher.serve(Some(document(&k1, NOW + DAY)));
    for _ in 0..3 {
        let got = s.cache.get(&server(), k1.key_id(), NOW).await.unwrap();
        assert_eq!(got, k1.public_key());
    }
    assert_eq!(s.fetcher.count(), 1);
    assert!(s.store.load(&server()).await.unwrap().is_some(), "stored");

    // A new cache over the same storage (a restart) needs no fetch.
    let restarted = KeyCache::new(
        KeyCacheConfig::default(),
        Arc::new(s.clock.clone()),
        s.store.clone(),
        s.fetcher.clone(),
    );
    restarted.get(&server(), k1.key_id(), NOW).await.unwrap();
    assert_eq!(s.fetcher.count(), 1);
}

#[tokio::test]
async fn an_unknown_key_id_is_refetched_once_then_refused_until_the_interval_passes() {
    let s = setup();
    let (k1, k2) = (key("k1", 1), key("k2", 2));
    s.fetcher.serve(Some(document(&k1, NOW + DAY)));
    s.cache.get(&server(), k1.key_id(), NOW).await.unwrap();
    assert_eq!(s.fetcher.count(), 1);

    // An id the server never published: one refetch, then UNKNOWN_KEY without fetching.
    let bogus = KeyId::ed25519("bogus").unwrap();
    s.clock.advance(60_000);
    for _ in 0..5 {
        let err = s.cache.get(&server(), &bogus, NOW).await.unwrap_err();
        assert!(matches!(err, KeyLookupError::UnknownKey { .. }), "{err:?}");
    }
    assert_eq!(s.fetcher.count(), 2, "one refetch for many lookups");
    for i in 0..5 {
        let random = KeyId::ed25519(&format!("r{i}")).unwrap();
        assert!(s.cache.get(&server(), &random, NOW).await.is_err());
    }
    assert_eq!(s.fetcher.count(), 2, "cycling key ids fetches no more");

    // The server rotates to k2; once the interval has passed, k2 is fetched.
    s.fetcher.serve(Some(document(&k2, NOW + DAY)));
    s.clock.advance(30_000);
    let got = s
        .cache
        .get(&server(), k2.key_id(), NOW + 90_000)
        .await
        .unwrap();
    assert_eq!(got, k2.public_key());
    assert_eq!(s.fetcher.count(), 3);
    // k1 was left out of the new document, but still verifies what it signed before.
    s.cache.get(&server(), k1.key_id(), NOW).await.unwrap();
    assert_eq!(s.fetcher.count(), 3);
}

#[tokio::test]
async fn concurrent_lookups_share_one_fetch() {
    let s = setup();
    let k1 = key("k1", 1);
    s.fetcher.serve(Some(document(&k1, NOW + DAY)));
    let name = server();
    let lookups = (0..20).map(|_| s.cache.get(&name, k1.key_id(), NOW));
    for result in futures_util::future::join_all(lookups).await {
        result.unwrap();
    }
    assert_eq!(s.fetcher.count(), 1);
}

#[tokio::test]
async fn valid_until_is_honoured_and_capped() {
    let s = setup();
    let k1 = key("k1", 1);
    s.fetcher.serve(Some(document(&k1, NOW + DAY)));
    s.cache.get(&server(), k1.key_id(), NOW).await.unwrap();

    // A request signed after the document's validity needs a fresh document.
    s.clock.set(NOW + DAY + 1);
    s.fetcher.serve(Some(document(&k1, NOW + 3 * DAY)));
    s.cache
        .get(&server(), k1.key_id(), NOW + DAY + 1)
        .await
        .unwrap();
    assert_eq!(s.fetcher.count(), 2);

    // A document claiming a validity of a year is trusted for at most a week.
    let s = setup();
    s.fetcher.serve(Some(document(&k1, NOW + 365 * DAY)));
    s.cache.get(&server(), k1.key_id(), NOW).await.unwrap();
    let stored = s.store.load(&server()).await.unwrap().unwrap();
    assert_eq!(stored.keys[k1.key_id()].valid_until_ts, NOW + 7 * DAY);
}

#[tokio::test]
async fn failed_fetches_back_off() {
    let s = setup();
    let k1 = key("k1", 1);
    let err = s.cache.get(&server(), k1.key_id(), NOW).await.unwrap_err();
    assert!(
        matches!(err, KeyLookupError::KeysUnavailable { .. }),
        "{err:?}"
    );
    // Within the backoff: refused without a fetch.
    s.clock.advance(4_000);
    assert!(s.cache.get(&server(), k1.key_id(), NOW).await.is_err());
    assert_eq!(s.fetcher.count(), 1);
    // After it: a second attempt, which fails again and doubles the wait.
    s.clock.advance(1_000);
    assert!(s.cache.get(&server(), k1.key_id(), NOW).await.is_err());
    assert_eq!(s.fetcher.count(), 2);
    s.clock.advance(9_000);
    assert!(s.cache.get(&server(), k1.key_id(), NOW).await.is_err());
    assert_eq!(s.fetcher.count(), 2);
    // The server comes back.
    s.fetcher.serve(Some(document(&k1, NOW + DAY)));
    s.clock.advance(1_000);
    s.cache.get(&server(), k1.key_id(), NOW).await.unwrap();
    assert_eq!(s.fetcher.count(), 3);
}

#[tokio::test]
async fn a_forged_or_foreign_document_is_not_taken() {
    let s = setup();
    let k1 = key("k1", 1);
    let mut forged = document(&k1, NOW + DAY);
    forged.valid_until_ts += 1;
    s.fetcher.serve(Some(forged));
    let err = s.cache.get(&server(), k1.key_id(), NOW).await.unwrap_err();
    assert!(
        matches!(err, KeyLookupError::KeysUnavailable { .. }),
        "{err:?}"
    );
    assert!(s.store.load(&server()).await.unwrap().is_none());

    let s = setup();
    let other = ServerName::parse("evil.example").unwrap();
    let foreign = ServerKeys::new_signed(other, &[&k1], BTreeMap::new(), NOW + DAY);
    s.fetcher.serve(Some(foreign));
    assert!(s.cache.get(&server(), k1.key_id(), NOW).await.is_err());
}

#[tokio::test]
async fn old_keys_verify_old_events_only() {
    let s = setup();
    let (k1, k2) = (key("k1", 1), key("k2", 2));
    let old = BTreeMap::from([(
        k1.key_id().clone(),
        OldVerifyKey {
            key: k1.public_key(),
            expired_ts: NOW - 10,
        },
    )]);
    s.fetcher.serve(Some(ServerKeys::new_signed(
        server(),
        &[&k2],
        old,
        NOW + DAY,
    )));
    s.cache.get(&server(), k1.key_id(), NOW - 11).await.unwrap();
    let err = s.cache.get(&server(), k1.key_id(), NOW).await.unwrap_err();
    assert!(matches!(err, KeyLookupError::KeyExpired { .. }), "{err:?}");
}

#[tokio::test]
async fn pinned_keys_are_never_fetched() {
    let s = setup();
    let own = key("own", 7);
    let doc = document(&own, NOW + DAY);
    let cache = s.cache.pin(KnownKeys::from_document(&doc).unwrap());
    cache.get(&server(), own.key_id(), NOW).await.unwrap();
    let other = KeyId::ed25519("x").unwrap();
    assert!(cache.get(&server(), &other, NOW).await.is_err());
    assert_eq!(s.fetcher.count(), 0);
}
