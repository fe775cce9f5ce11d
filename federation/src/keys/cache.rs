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
