//! The HTTPS client against a real local TLS server with a test CA made at run time (rcgen):
//! signed requests that the receiver verifies, discovery precedence, no redirects, size caps,
//! timeouts, a peer's error kept as the peer's, SSRF refusal, certificate checks, and the key
//! cache fetching through the client.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use convo_federation::api::{self, FederationEndpoint as _, Method};
use convo_federation::client::{ClientConfig, ClientError, FederationClient, TargetPolicy};
use convo_federation::clock::{Clock, SystemClock};
use convo_federation::discovery::{EndpointSource, PeerEntry, PeerMap};
use convo_federation::keys::{
    KeyCache, KeyCacheConfig, KeyId, MemoryKeyStore, ServerKeys, StaticKeys,
};
use convo_federation::request::{RequestLimits, RequestVerifier, ServerAcl};
use convo_federation::{ServerName, ServerSigningKey};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

/// A request as the test server received it.
#[derive(Clone, Debug)]
struct Received {
    method: String,
    target: String,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn test_ca() -> TestCa {
    let mut params = CertificateParams::new(Vec::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    TestCa {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A TLS server on 127.0.0.1 answering a few fixed routes, recording what it receives.
struct TestServer {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

impl TestServer {
    async fn spawn(ca: &TestCa, names: &[&str], keys: ServerKeys) -> Self {
        let params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &ca.issuer).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let log = received.clone();
        let keys = serde_json::to_vec(&keys).unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, log, keys) = (acceptor.clone(), log.clone(), keys.clone());
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let Some(request) = read_request(&mut tls).await else {
                        return;
                    };
                    log.lock().unwrap().push(request.clone());
                    let (status, extra, body) = answer(&request, addr.port(), &keys).await;
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\ncontent-type: application/json\r\nconnection: close\r\n{extra}\r\n",
                        body.len()
                    );
                    let _ = tls.write_all(head.as_bytes()).await;
                    let _ = tls.write_all(&body).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        Self { addr, received }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn read_request(tls: &mut (impl tokio::io::AsyncRead + Unpin)) -> Option<Received> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        let n = tls.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        if let Some(pos) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8(data[..head_end].to_vec()).ok()?;
    let mut lines = head.split("\r\n");
    let mut start = lines.next()?.split(' ');
    let (method, target) = (start.next()?.to_owned(), start.next()?.to_owned());
    let headers: BTreeMap<String, String> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = data[head_end..].to_vec();
    while body.len() < length {
        let n = tls.read(&mut buf).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
    }
    Some(Received {
        method,
        target,
        headers,
        body,
    })
}

async fn answer(request: &Received, port: u16, keys: &[u8]) -> (u16, String, Vec<u8>) {
    let path = request.target.split('?').next().unwrap_or_default();
    match path {
        "/.well-known/convo/server" => (
            200,
            String::new(),
            format!(r#"{{"convo.server":"localhost:{port}"}}"#).into_bytes(),
        ),
        "/_convo/federation/v1/keys" => (200, String::new(), keys.to_vec()),
        "/_convo/federation/v1/profile/@bob:hs2.test" => (
            200,
            String::new(),
            br#"{"user_id":"@bob:hs2.test","display_name":"Bob","avatar_url":null}"#.to_vec(),
        ),
        "/_convo/federation/v1/send/t1" => (
            200,
            String::new(),
            br#"{"proposals":[{"outcome":"accepted","seq":5}]}"#.to_vec(),
        ),
        "/redirect" => (
            302,
            "location: https://example.org/\r\n".to_owned(),
            Vec::new(),
        ),
        "/big" => (200, String::new(), vec![b' '; 2 * 1024 * 1024]),
        "/error" => (
            500,
            String::new(),
            br#"{"code":"DATABASE_ON_FIRE","message":"pool exhausted at db.internal:5432"}"#
                .to_vec(),
        ),
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            (200, String::new(), b"{}".to_vec())
        }
        _ => (
            404,
            String::new(),
            br#"{"code":"NOT_FOUND","message":"no such endpoint"}"#.to_vec(),
        ),
    }
}

const ORIGIN: &str = "hs1.test";

fn origin_key() -> Arc<ServerSigningKey> {
    Arc::new(ServerSigningKey::from_seed(
        KeyId::ed25519("c1").unwrap(),
        &[7; 32],
    ))
}

fn peer_key() -> ServerSigningKey {
    ServerSigningKey::from_seed(KeyId::ed25519("p2").unwrap(), &[8; 32])
}

fn peer_keys(server: &str) -> ServerKeys {
    let valid_until = SystemClock.now_ms() + 86_400_000;
    ServerKeys::new_signed(
        ServerName::parse(server).unwrap(),
        &[&peer_key()],
        BTreeMap::new(),
        valid_until,
    )
}

fn name(s: &str) -> ServerName {
    ServerName::parse(s).unwrap()
}

fn config(ca: &TestCa, peers: &[(&str, SocketAddr)]) -> ClientConfig {
    let mut config = ClientConfig::new();
    config.targets = TargetPolicy::TEST_OR_LAN;
    config.ca_pem = Some(ca.pem.clone().into_bytes());
    config.read_timeout = Duration::from_millis(500);
    config.max_response_bytes = 1024 * 1024;
    config.peers = PeerMap(
        peers
            .iter()
            .map(|(server, addr)| {
                let entry = PeerEntry {
                    address: name(&addr.to_string()),
                    tls_name: None,
                    ca_file: None,
                };
                (name(server), entry)
            })
            .collect(),
    );
    config
}

fn client(config: ClientConfig) -> FederationClient {
    FederationClient::new(name(ORIGIN), origin_key(), Arc::new(SystemClock), config).unwrap()
}

#[tokio::test]
async fn a_signed_request_is_verified_by_the_receiver() {
    let ca = test_ca();
    let server = TestServer::spawn(&ca, &["hs2.test"], peer_keys("hs2.test")).await;
    let client = client(config(&ca, &[("hs2.test", server.addr)]));

    let profile = client
        .call(
            &name("hs2.test"),
            &api::get_profile::Request {
                user_id: "@bob:hs2.test".parse().unwrap(),
            },
        )
        .await
        .unwrap();
    assert_eq!(profile.display_name.as_deref(), Some("Bob"));

    let txn = api::send_transaction::Request {
        txn_id: api::send_transaction::TxnId::parse("t1").unwrap(),
        transaction: Default::default(),
    };
    let results = client.call(&name("hs2.test"), &txn).await.unwrap();
    assert_eq!(results.proposals.len(), 1);

    // The receiver's side: each request verifies, as sent, against the origin's keys.
    let mut keys = StaticKeys::new();
    let own = ServerKeys::new_signed(
        name(ORIGIN),
        &[&origin_key()],
        BTreeMap::new(),
        SystemClock.now_ms() + 60_000,
    );
    keys.insert_document(&own).unwrap();
    let verifier = RequestVerifier::new(
        name("hs2.test"),
        RequestLimits::default(),
        ServerAcl::default(),
    );
    let received = server.received();
    assert_eq!(received.len(), 2);
    for request in &received {
        let verified = verifier
            .verify(
                request.headers.get("authorization").map(String::as_str),
                &request.method,
                &request.target,
                &request.body,
                SystemClock.now_ms(),
                &keys,
            )
            .await
            .unwrap_or_else(|e| panic!("{request:?}: {e}"));
        assert_eq!(verified.origin, name(ORIGIN));
        assert!(!request.headers.contains_key("proxy-authorization"));
    }
    assert_eq!(received[1].method, "PUT");
    assert_eq!(received[1].body, b"{}");
    assert_eq!(received[1].target, txn.uri());
}

#[tokio::test]
async fn the_key_document_is_fetched_unsigned_and_verified_by_the_cache() {
    let ca = test_ca();
    let server = TestServer::spawn(&ca, &["hs2.test"], peer_keys("hs2.test")).await;
    let client = Arc::new(client(config(&ca, &[("hs2.test", server.addr)])));
    let cache = KeyCache::new(
        KeyCacheConfig::default(),
        Arc::new(SystemClock),
        MemoryKeyStore::default(),
        client,
    );
    let key = cache
        .get(&name("hs2.test"), peer_key().key_id(), SystemClock.now_ms())
        .await
        .unwrap();
    assert_eq!(key, peer_key().public_key());
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].target, "/_convo/federation/v1/keys");
    assert!(!received[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn redirects_are_refused_and_answers_capped() {
    let ca = test_ca();
    let server = TestServer::spawn(&ca, &["hs2.test"], peer_keys("hs2.test")).await;
    let client = client(config(&ca, &[("hs2.test", server.addr)]));
    let hs2 = name("hs2.test");

    let err = client
        .send(&hs2, Method::Get, "/redirect", None, true)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::Redirected { status: 302 }),
        "{err:?}"
    );
    let err = client
        .send(&hs2, Method::Get, "/big", None, true)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::ResponseTooLarge { .. }),
        "{err:?}"
    );
    let err = client
        .send(&hs2, Method::Get, "/slow", None, true)
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Timeout), "{err:?}");
    assert!(err.is_transient());

    // The peer's internal error stays the peer's: its code as text, not one of ours.
    let err = client
        .send(&hs2, Method::Get, "/error", None, true)
        .await
        .unwrap_err();
    let ClientError::Rejected {
        status: 500,
        error: Some(remote),
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(remote.code, "DATABASE_ON_FIRE");
    assert_eq!(remote.known_code(), None);
    assert!(err.is_transient());
    // Only one request reached the server for the redirect: it was not followed.
    assert_eq!(
        server
            .received()
            .iter()
            .filter(|r| r.target == "/redirect")
            .count(),
        1
    );
}

#[tokio::test]
async fn discovery_uses_the_well_known_unless_the_peer_map_says_otherwise() {
    let ca = test_ca();
    let server = TestServer::spawn(&ca, &["localhost"], peer_keys("localhost")).await;
    let mut with_well_known = config(&ca, &[]);
    with_well_known.well_known_port = server.addr.port();
    let client_a = client(with_well_known.clone());
    let endpoint = client_a.discover(&name("localhost")).await;
    assert_eq!(endpoint.source, EndpointSource::WellKnown);
    assert_eq!(
        (endpoint.host.as_str(), endpoint.port),
        ("localhost", server.addr.port())
    );
    assert_eq!(endpoint.tls_name, "localhost");
    // Cached: asked once.
    client_a.discover(&name("localhost")).await;
    let asked = |s: &TestServer| {
        s.received()
            .iter()
            .filter(|r| r.target == "/.well-known/convo/server")
            .count()
    };
    assert_eq!(asked(&server), 1);
    // And usable: the keys come from the delegated endpoint.
    client_a.get_server_keys(&name("localhost")).await.unwrap();

    // The peer map wins, without asking the well-known.
    let mut mapped = with_well_known;
    mapped.peers = config(&ca, &[("localhost", "127.0.0.1:1".parse().unwrap())]).peers;
    let endpoint = client(mapped).discover(&name("localhost")).await;
    assert_eq!(endpoint.source, EndpointSource::PeerMap);
    assert_eq!(endpoint.port, 1);
    assert_eq!(asked(&server), 1);
}

#[tokio::test]
async fn private_targets_are_refused_unless_test_or_lan() {
    let ca = test_ca();
    let server = TestServer::spawn(&ca, &["hs2.test", "127.0.0.1"], peer_keys("hs2.test")).await;
    let mut public = config(&ca, &[("hs2.test", server.addr)]);
    public.targets = TargetPolicy::PUBLIC;
    let client = client(public);
    // A peer map entry pointing at loopback.
    let err = client.get_server_keys(&name("hs2.test")).await.unwrap_err();
    assert!(
        matches!(err, ClientError::ForbiddenTarget { .. }),
        "{err:?}"
    );
    assert!(!err.is_transient());
    // An IP literal server name.
    let err = client
        .get_server_keys(&name(&server.addr.to_string()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::ForbiddenTarget { .. }),
        "{err:?}"
    );
    // A name that resolves to loopback.
    let err = client
        .get_server_keys(&name(&format!("localhost:{}", server.addr.port())))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::ForbiddenTarget { .. }),
        "{err:?}"
    );
    assert!(server.received().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn certificates_are_checked_against_the_configured_ca_and_tls_name() {
    let ca = test_ca();
    let server = TestServer::spawn(&ca, &["hs2.test"], peer_keys("hs2.test")).await;

    // Another CA is not trusted.
    let other = test_ca();
    let err = client(config(&other, &[("hs2.test", server.addr)]))
        .get_server_keys(&name("hs2.test"))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");

    // The certificate must be valid for the TLS name.
    let mut wrong_name = config(&ca, &[("hs2.test", server.addr)]);
    for entry in wrong_name.peers.0.values_mut() {
        entry.tls_name = Some("hs9.test".into());
    }
    let err = client(wrong_name)
        .get_server_keys(&name("hs2.test"))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Connect { .. }), "{err:?}");

    // A peer's own CA, from the peer map, is enough for that peer.
    let dir = std::env::temp_dir().join(format!("convo-fed-ca-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("hs2-ca.pem");
    std::fs::write(&ca_file, &ca.pem).unwrap();
    let mut own_ca = config(&other, &[("hs2.test", server.addr)]);
    for entry in own_ca.peers.0.values_mut() {
        entry.ca_file = Some(ca_file.clone());
    }
    client(own_ca)
        .get_server_keys(&name("hs2.test"))
        .await
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
