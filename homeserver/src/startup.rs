//! Building and running the server: [`Application::build`] binds the listener, locks the
//! data, opens the database, checks the server name and loads the key;
//! [`Application::run_until_stopped`] serves until the given shutdown future completes, then
//! drains open requests.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use convo_federation::{KeyError, ServerName, ServerSigningKey};
use poem::listener::{Acceptor, Listener, TcpListener};

use crate::http::acceptor::GuardedAcceptor;
use crate::http::no_delay::NoDelayAcceptor;
use poem::middleware::CatchPanic;
use poem::{Endpoint, EndpointExt, Route, Server, get};

use crate::accounts::Accounts;
use crate::config::Config;
use crate::data_lock::{DataLock, DataLockError};
use crate::db::{Db, DbError};
use crate::gateway::{self, Gateway, Hub};
use crate::http::body_limit::BodyLimit;
use crate::http::metrics::Metrics;
use crate::http::{self, health};
use crate::private_files;
use crate::ratelimit::Limits;
use crate::rooms::{Rooms, RoomsTasks};
use crate::server_meta::{self, ServerMetaError};
use crate::sessions::{JwtKeys, Sessions};
use crate::state::{AppState, Services};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("invalid server_name: {0}")]
    ServerName(#[from] convo_federation::IdError),
    #[error("cannot create the folder of {path}: {source}")]
    Folder {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("signing key: {0}")]
    Key(#[from] KeyError),
    #[error(transparent)]
    DataLock(#[from] DataLockError),
    #[error("{0}")]
    Database(#[from] DbError),
    #[error(transparent)]
    ServerMeta(#[from] ServerMetaError),
    #[error("cannot start the sequencer: {0}")]
    Sequencer(sqlx::Error),
    #[error("invalid argon2 settings: {0}")]
    PasswordHashing(argon2::Error),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A homeserver ready to serve.
pub struct Application {
    acceptor: GuardedAcceptor,
    /// Held until the server has stopped and closed the database.
    data_lock: DataLock,
    local_addr: SocketAddr,
    state: AppState,
    /// The rooms service's tasks, drained on shutdown.
    rooms_tasks: RoomsTasks,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("local_addr", &self.local_addr)
            .finish_non_exhaustive()
    }
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let server_name = ServerName::parse(&config.server_name)?;
        let metrics = Arc::new(Metrics::default());
        // The port first: if it is taken, nothing has been created yet.
        let acceptor = TcpListener::bind(config.listen)
            .into_acceptor()
            .await
            .map(|tcp| GuardedAcceptor::new(NoDelayAcceptor(tcp), &config.http, metrics.clone()))
            .map_err(|source| StartupError::Bind {
                addr: config.listen,
                source,
            })?;
        let local_addr = acceptor
            .local_addr()
            .first()
            .and_then(|addr| addr.as_socket_addr().copied())
            .unwrap_or(config.listen);
        for warning in crate::config::warnings(&config) {
            tracing::warn!("{warning}");
        }
        // Before anything is written: only one server may use the data.
        let database_url = config.effective_database_url();
        let data_lock = DataLock::acquire(&database_url, &config.database).await?;
        let db = Db::open(&database_url, &config.database).await?;
        server_meta::check_server_name(&db, &server_name).await?;
        let key_path = config.effective_signing_key_path();
        private_files::create_parent(&key_path).map_err(|source| StartupError::Folder {
            path: key_path.clone(),
            source,
        })?;
        let (signing_key, created) = ServerSigningKey::load_or_generate(&key_path)?;
        if created {
            tracing::info!(path = %key_path.display(), key_id = %signing_key.key_id(), "created a new signing key");
        }
        let jwt = JwtKeys::derive(
            signing_key.sign(b"convo access-token key v1").as_bytes(),
            server_name.as_str(),
        );
        let accounts = Accounts::new(
            db.clone(),
            server_name.clone(),
            config.registration.policy,
            &config.auth,
        )
        .map_err(StartupError::PasswordHashing)?;
        let sessions = Sessions::new(db.clone(), jwt, &config.auth);
        let hub = Arc::new(Hub::default());
        let (rooms, rooms_tasks) = Rooms::start(
            db.clone(),
            accounts.clone(),
            server_name.clone(),
            config.rooms.clone(),
            &config.gateway,
            hub.clone(),
        )
        .await
        .map_err(StartupError::Sequencer)?;
        let gateway = Gateway::start(
            rooms.clone(),
            accounts.clone(),
            hub.clone(),
            &config.gateway,
        );
        let kick = hub.clone();
        sessions.on_revoke(Arc::new(move |device_id: &str| kick.kick_device(device_id)));
        let state = AppState::new(Services {
            limits: Arc::new(Limits::new(&config.rate_limits)),
            config: Arc::new(config),
            server_name,
            db,
            accounts,
            sessions,
            rooms,
            gateway,
            metrics,
            signing_key: Arc::new(signing_key),
        });
        Ok(Self {
            acceptor,
            data_lock,
            local_addr,
            state,
            rooms_tasks,
        })
    }

    /// The port actually bound (useful with port 0).
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then stops in order, so that nothing accepted is
    /// lost: open HTTP requests finish (up to `http.shutdown_grace_secs`); WebSocket
    /// connections get their answers in flight and are told to reconnect (1012); the
    /// sequencer commits every proposal it took and publishes it; the receipts it holds are
    /// written; last seen is recorded; then the database closes.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let state = self.state;
        let grace = Duration::from_secs(state.config.http.shutdown_grace_secs);
        let app = routes(&state);
        let result = Server::new_with_acceptor(self.acceptor)
            .run_with_graceful_shutdown(app, shutdown, Some(grace))
            .await;
        state.gateway.shutdown(grace).await;
        state.rooms.stop();
        self.rooms_tasks.finished().await;
        state.db.close().await;
        self.data_lock.release().await;
        tracing::info!("stopped");
        result
    }
}

/// Every route of the server, with its middleware.
pub fn routes(state: &AppState) -> impl Endpoint + 'static {
    let api = crate::api::service();
    let docs = api.scalar();
    let spec = api.spec_endpoint();
    let metrics = state.metrics.clone();
    let max_body_bytes = state.config.http.max_body_bytes;
    let app = Route::new()
        .nest(
            "/api/v1",
            api.with(BodyLimit {
                max_bytes: state.config.http.max_body_bytes,
            }),
        )
        .at("/api/v1/openapi.json", spec)
        .at("/api/v1/ws", get(gateway::ws::ws))
        .nest("/api/docs", docs)
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .at("/metrics", get(health::metrics))
        .with(CatchPanic::new())
        .data(state.clone());
    let app = Arc::new(app);
    poem::endpoint::make(move |req| {
        let app = app.clone();
        let metrics = metrics.clone();
        async move { http::handle(app, metrics, max_body_bytes, req).await }
    })
}
