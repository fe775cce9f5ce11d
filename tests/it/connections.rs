//! Slow and idle HTTP clients, over raw sockets: a connection that sends nothing, half a
//! request line, or its head a byte at a time is closed after the header timeout; a
//! kept-alive one after the idle timeout and not before; connections past the per-address
//! cap are closed at once; a WebSocket outlives the HTTP idle timeout.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::helpers::{TestServer, Ws};

/// Reads until the server closes the connection and returns how long that took; fails the
/// test if it is still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Duration {
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + limit;
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => panic!("the connection is still open after {limit:?}"),
            Ok(Ok(0) | Err(_)) => return start.elapsed(),
            Ok(Ok(_)) => {}
        }
    }
}

/// `GET path` on a kept-alive connection: the status and the body.
async fn get(stream: &mut TcpStream, path: &str) -> (u16, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed before a response");
        data.extend_from_slice(&buf[..n]);
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_lowercase();
    let status = head[9..12].parse().expect("status");
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().expect("length"))
        .expect("a content-length");
    while data.len() < head_end + length {
        let n = stream.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed within a response");
        data.extend_from_slice(&buf[..n]);
    }
    let body = String::from_utf8_lossy(&data[head_end..head_end + length]).into_owned();
    (status, body)
}

async fn connect(server: &TestServer) -> TcpStream {
    TcpStream::connect(server.addr).await.expect("connect")
}

#[tokio::test]
async fn slow_request_heads_are_closed_after_the_header_timeout() {
    let server = TestServer::spawn_with(|c| {
        c.http.header_read_timeout_secs = 1;
        c.http.idle_timeout_secs = 60;
    })
    .await;
    let mut silent = connect(&server).await;
    let mut half = connect(&server).await;
    half.write_all(b"GET /heal").await.unwrap();
    // A head that keeps coming, a header line every 200 ms, never ends.
    let drip = connect(&server).await;
    let (mut drip_read, mut drip_write) = drip.into_split();
    drip_write
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    let dripping = tokio::spawn(async move {
        while drip_write.write_all(b"X-Slow: yes\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let limit = Duration::from_secs(4);
    let (silent, half) = tokio::join!(
        closed_within(&mut silent, limit),
        closed_within(&mut half, limit)
    );
    let start = Instant::now();
    let mut buf = [0u8; 64];
    let drip = tokio::time::timeout(limit, async {
        while matches!(drip_read.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
    assert!(drip.is_ok(), "a dripping head is still open");
    dripping.abort();
    for (what, after) in [("silent", silent), ("half a request line", half)] {
        assert!(
            after >= Duration::from_millis(900),
            "{what}: closed after {after:?}"
        );
    }
    assert!(start.elapsed() < limit);
    let metrics = server.get("/metrics", None).await;
    let text = metrics.body.as_str().unwrap_or_default().to_owned();
    assert!(
        text.contains("convo_http_connections_timed_out_total 3"),
        "{text}"
    );
}

#[tokio::test]
async fn kept_alive_connections_close_after_the_idle_timeout_and_not_before() {
    let server = TestServer::spawn_with(|c| {
        c.http.header_read_timeout_secs = 1;
        c.http.idle_timeout_secs = 3;
    })
    .await;
    let mut stream = connect(&server).await;
    assert_eq!(get(&mut stream, "/healthz").await, (200, "ok".into()));
    // Longer than the header timeout: between requests only the idle timeout counts.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(get(&mut stream, "/healthz").await, (200, "ok".into()));
    assert_eq!(get(&mut stream, "/readyz").await, (200, "ready".into()));
    let after = closed_within(&mut stream, Duration::from_secs(6)).await;
    assert!(
        after >= Duration::from_millis(2500),
        "closed after {after:?}"
    );
    // An ordinary client with a connection pool does not notice.
    for _ in 0..3 {
        server.get("/healthz", None).await.assert_status(200);
    }
}

#[tokio::test]
async fn connections_past_the_per_address_cap_are_closed_at_once() {
    let server = TestServer::spawn_with(|c| c.http.max_connections_per_address = 3).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect(&server).await);
    }
    let mut extra = connect(&server).await;
    let after = closed_within(&mut extra, Duration::from_secs(1)).await;
    assert!(after < Duration::from_secs(1));
    assert!(
        reqwest::get(server.url("/healthz")).await.is_err(),
        "a fourth connection is refused"
    );
    // One closes; its place is free again.
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut fresh = loop {
        let mut stream = connect(&server).await;
        let mut probe = [0u8; 1];
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut probe)).await {
            // Not closed at once: admitted.
            Err(_) => break stream,
            Ok(_) => assert!(Instant::now() < deadline, "the freed place never came back"),
        }
    };
    assert_eq!(get(&mut fresh, "/healthz").await, (200, "ok".into()));
    let (status, metrics) = get(&mut fresh, "/metrics").await;
    assert_eq!(status, 200);
    let refused = metrics
        .lines()
        .find_map(|l| l.strip_prefix("convo_http_connections_refused_total "))
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("{metrics}"));
    assert!(refused >= 2, "{refused}");
}

#[tokio::test]
async fn a_websocket_outlives_the_http_idle_timeout() {
    let server = TestServer::spawn_with(|c| {
        c.http.header_read_timeout_secs = 1;
        c.http.idle_timeout_secs = 1;
    })
    .await;
    let alice = server.user("alice").await;
    let (mut ws, hello) = Ws::connect(&server, &alice.access_token, None).await;
    assert_eq!(hello["type"], "ack", "{hello}");
    ws.next("snapshot").await;
    // Silent for three times the HTTP idle timeout (and well within the gateway heartbeat).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pong = ws.request(json!({ "type": "ping" })).await;
    assert_eq!(pong["type"], "ack", "{pong}");
    ws.close().await;
}
