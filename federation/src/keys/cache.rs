//! [`KeyCache`]: other servers' keys, in memory (moka) in front of the homeserver's storage
//! ([`KeyStore`]), fetched ([`KeyFetcher`]) when a key is missing or no longer valid.
//!
//! An unknown key id (or one no longer valid at the time asked for) causes **one** refetch of
//! the server's document; then the key is there or the lookup fails. Fetches per server are
//! single-flight (concurrent lookups wait for the one fetch) and rate limited: after a fetch,
//! the next one for that server waits `min_refetch_interval_ms`, and after failures an
//! exponential backoff up to `max_backoff_ms`. So a peer (or an attacker naming random key ids)
//! cannot make us fetch on every request; it gets `UNKNOWN_KEY` until the interval passes.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::document::ServerKeys;
use super::known::{KeyLookupError, KeyProvider, KnownKeys};
use super::{KeyId, PublicKey};
use crate::ServerName;
use crate::clock::Clock;

/// An error of storage or fetching, described for logs.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Where the homeserver keeps what it knows of other servers' keys (its database).
pub trait KeyStore: Send + Sync {
    /// What is stored for `server`, if anything.
    fn load(
        &self,
        server: &ServerName,
    ) -> impl Future<Output = Result<Option<KnownKeys>, BoxError>> + Send;

    /// Stores `keys` (replacing what was stored for `keys.server_name`).
    fn save(&self, keys: &KnownKeys) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// Fetches a server's key document (over HTTPS: [`crate::client::FederationClient`]).
pub trait KeyFetcher: Send + Sync {
    /// The document `server` publishes; it is verified by the cache.
    fn fetch(
        &self,
        server: &ServerName,
    ) -> impl Future<Output = Result<ServerKeys, BoxError>> + Send;
}

/// A [`KeyStore`] in memory only: for tests, and peers without a database.
#[derive(Debug, Default)]
pub struct MemoryKeyStore(Mutex<BTreeMap<ServerName, KnownKeys>>);

impl KeyStore for MemoryKeyStore {
    async fn load(&self, server: &ServerName) -> Result<Option<KnownKeys>, BoxError> {
        Ok(self.lock().get(server).cloned())
    }

    async fn save(&self, keys: &KnownKeys) -> Result<(), BoxError> {
        self.lock().insert(keys.server_name.clone(), keys.clone());
        Ok(())
    }
}

impl MemoryKeyStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<ServerName, KnownKeys>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Limits of the key cache; every one has a default.
#[derive(Clone, Debug)]
pub struct KeyCacheConfig {
    /// Servers whose keys are kept in memory (storage keeps the rest).
    pub max_servers: u64,
    /// After a fetch of a server's keys, the next one waits this long (ms).
    pub min_refetch_interval_ms: i64,
    /// The wait after a first failed fetch (ms); it doubles with each failure.
    pub initial_backoff_ms: i64,
    /// The longest wait between failed fetches (ms).
    pub max_backoff_ms: i64,
    /// A fetched document is trusted at most this long (ms), whatever its `valid_until_ts`.
    pub max_validity_ms: i64,
}

impl Default for KeyCacheConfig {
    fn default() -> Self {
        Self {
            max_servers: 10_000,
            min_refetch_interval_ms: 30_000,
            initial_backoff_ms: 5_000,
            max_backoff_ms: 600_000,
            max_validity_ms: 7 * 86_400_000,
        }
    }
}

/// When a server's keys may be fetched again.
#[derive(Debug, Default)]
struct FetchState {
    /// No fetch before this time (ms).
    not_before_ms: i64,
    /// Failed fetches in a row.
    failures: u32,
}

/// Other servers' keys: memory, then storage, then one fetch.
pub struct KeyCache<S, F> {
    config: KeyCacheConfig,
    clock: Arc<dyn Clock>,
    store: S,
    fetcher: F,
    /// Known keys by server, bounded by `max_servers`.
    memory: moka::future::Cache<ServerName, Arc<KnownKeys>>,
    /// One gate per server being fetched: single flight, and when the next fetch may be.
    gates: moka::sync::Cache<ServerName, Arc<tokio::sync::Mutex<FetchState>>>,
    /// Keys that are never fetched (our own): given at construction.
    pinned: BTreeMap<ServerName, Arc<KnownKeys>>,
}

impl<S, F> std::fmt::Debug for KeyCache<S, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("config", &self.config)
            .field("servers_in_memory", &self.memory.entry_count())
            .field("pinned", &self.pinned.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl<S: KeyStore, F: KeyFetcher> KeyCache<S, F> {
    pub fn new(config: KeyCacheConfig, clock: Arc<dyn Clock>, store: S, fetcher: F) -> Self {
        let idle = Duration::from_millis(config.max_backoff_ms.max(0).unsigned_abs() * 2);
        Self {
            memory: moka::future::Cache::new(config.max_servers),
            gates: moka::sync::Cache::builder()
                .max_capacity(config.max_servers)
                .time_to_idle(idle)
                .build(),
            config,
            clock,
            store,
            fetcher,
            pinned: BTreeMap::new(),
        }
    }

    /// Keys of `keys.server_name` that are never fetched nor stored (our own server's).
    pub fn pin(mut self, keys: KnownKeys) -> Self {
        self.pinned.insert(keys.server_name.clone(), Arc::new(keys));
        self
    }

    /// The storage behind the cache.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The key `key_id` of `server`, usable at `at_ms`: from memory, storage, or one fetch.
    pub async fn get(
        &self,
        server: &ServerName,
        key_id: &KeyId,
        at_ms: i64,
    ) -> Result<PublicKey, KeyLookupError> {
        if let Some(pinned) = self.pinned.get(server) {
            return pinned.key_at(key_id, at_ms);
        }
        let lookup = |known: &Option<Arc<KnownKeys>>| match known {
            Some(known) => known.key_at(key_id, at_ms),
            None => Err(unknown(server, key_id)),
        };
        let first = lookup(&self.known(server).await?);
        if first.is_ok() {
            return first;
        }

        let gate = self.gates.get_with(server.clone(), Default::default);
        let mut state = gate.lock().await;
        // Another lookup may have fetched while this one waited at the gate.
        let known = self.known(server).await?;
        let again = lookup(&known);
        let now = self.clock.now_ms();
        if again.is_ok() || now < state.not_before_ms {
            return again;
        }
        state.not_before_ms = now.saturating_add(self.config.min_refetch_interval_ms);
        match self.fetch(server, known.as_deref(), now).await {
            Ok(fetched) => {
                state.failures = 0;
                fetched.key_at(key_id, at_ms)
            }
            Err(error) => {
                state.failures = state.failures.saturating_add(1);
                let doublings = state.failures.saturating_sub(1).min(20);
                let backoff = self
                    .config
                    .initial_backoff_ms
                    .saturating_mul(1 << doublings)
                    .min(self.config.max_backoff_ms);
                state.not_before_ms = now.saturating_add(backoff);
                Err(error)
            }
        }
    }

    /// What memory or storage knows of `server`.
    async fn known(&self, server: &ServerName) -> Result<Option<Arc<KnownKeys>>, KeyLookupError> {
        if let Some(known) = self.memory.get(server).await {
            return Ok(Some(known));
        }
        let stored = self
            .store
            .load(server)
            .await
            .map_err(|e| KeyLookupError::Storage(e.to_string()))?;
        let Some(stored) = stored.filter(|k| &k.server_name == server) else {
            return Ok(None);
        };
        let stored = Arc::new(stored);
        self.memory.insert(server.clone(), stored.clone()).await;
        Ok(Some(stored))
    }

    /// Fetches, verifies and merges `server`'s document; stores and caches the result.
    async fn fetch(
        &self,
        server: &ServerName,
        known: Option<&KnownKeys>,
        now: i64,
    ) -> Result<Arc<KnownKeys>, KeyLookupError> {
        let unavailable = |reason: String| KeyLookupError::KeysUnavailable {
            server: server.clone(),
            reason,
        };
        let document = self
            .fetcher
            .fetch(server)
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        document
            .verify(server, now)
            .map_err(|e| unavailable(e.to_string()))?;
        let valid_until = document
            .valid_until_ts
            .min(now.saturating_add(self.config.max_validity_ms));
        let mut merged = known
            .cloned()
            .unwrap_or_else(|| KnownKeys::new(server.clone()));
        merged
            .merge(&document, valid_until)
            .map_err(|e| unavailable(e.to_string()))?;
        self.store
            .save(&merged)
            .await
            .map_err(|e| KeyLookupError::Storage(e.to_string()))?;
        let merged = Arc::new(merged);
        self.memory.insert(server.clone(), merged.clone()).await;
        Ok(merged)
    }
}

fn unknown(server: &ServerName, key_id: &KeyId) -> KeyLookupError {
    KeyLookupError::UnknownKey {
        server: server.clone(),
        key_id: key_id.clone(),
    }
}

impl<S: KeyStore, F: KeyFetcher> KeyProvider for KeyCache<S, F> {
    fn key_at(
        &self,
        server: &ServerName,
        key_id: &KeyId,
        at_ms: i64,
    ) -> impl Future<Output = Result<PublicKey, KeyLookupError>> + Send {
        self.get(server, key_id, at_ms)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
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
}
