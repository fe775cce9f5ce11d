//! A WebSocket client with no library between the test and the bytes: the upgrade request
//! written by hand, frames encoded and decoded here. For what a WebSocket library will not
//! send (invalid UTF-8 in a text frame, a frame over the server's limit before `hello`) or
//! will not leave alone (a socket that stops reading), and to tell a close frame from a TCP
//! reset.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use rand::RngExt as _;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

use super::WAIT;

/// Opcodes (RFC 6455 section 5.2).
pub const TEXT: u8 = 0x1;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xA;

/// What reading a frame came to.
#[derive(Debug)]
pub enum Read {
    Frame {
        opcode: u8,
        payload: Vec<u8>,
    },
    /// The server closed the TCP connection without a close frame first.
    Eof,
    /// The connection was reset (or another I/O error).
    Reset(std::io::Error),
}

/// One raw WebSocket connection to the gateway.
#[derive(Debug)]
pub struct RawWs {
    pub stream: TcpStream,
    /// Bytes read and not yet parsed.
    buf: Vec<u8>,
}

impl RawWs {
    /// Connects to the gateway at `addr` and upgrades.
    pub async fn connect(addr: SocketAddr) -> Self {
        Self::connect_with(addr, None).await
    }

    /// As [`RawWs::connect`], with the client's receive buffer (`SO_RCVBUF`) set first when
    /// `recv_buffer` is given.
    pub async fn connect_with(addr: SocketAddr, recv_buffer: Option<u32>) -> Self {
        let socket = TcpSocket::new_v4().expect("socket");
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).expect("SO_RCVBUF");
        }
        let stream = socket.connect(addr).await.expect("connects");
        let mut ws = Self {
            stream,
            buf: Vec::new(),
        };
        ws.upgrade(addr).await;
        ws
    }

    async fn upgrade(&mut self, addr: SocketAddr) {
        let key =
            base64::engine::general_purpose::STANDARD.encode(rand::rng().random::<[u8; 16]>());
        let request = format!(
            "GET /api/v1/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        self.stream
            .write_all(request.as_bytes())
            .await
            .expect("write the upgrade");
        let head_end = loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 1024];
            let n = tokio::time::timeout(WAIT, self.stream.read(&mut chunk))
                .await
                .expect("the upgrade answer in time")
                .expect("read the upgrade answer");
            assert!(n > 0, "closed during the upgrade");
            self.buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        assert!(head.starts_with("HTTP/1.1 101"), "not upgraded: {head}");
        self.buf.drain(..head_end);
    }

    /// Writes one frame (FIN set, masked as a client must) with `opcode` and `payload`, which
    /// may be anything: nothing here checks it.
    pub async fn send_frame(&mut self, opcode: u8, payload: &[u8]) {
        let bytes = client_frame(opcode, payload);
        self.stream.write_all(&bytes).await.expect("write a frame");
    }

    /// Writes a text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.send_frame(TEXT, text.as_bytes()).await;
    }

    /// The next frame from the server, or how the connection ended. Panics if nothing comes
    /// within `wait`.
    pub async fn read_within(&mut self, wait: Duration) -> Read {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some((opcode, payload, used)) = parse_server_frame(&self.buf) {
                self.buf.drain(..used);
                return Read::Frame { opcode, payload };
            }
            self.buf.reserve(16 * 1024);
            let read = tokio::time::timeout_at(deadline, self.stream.read_buf(&mut self.buf))
                .await
                .expect("a frame from the server in time");
            match read {
                Ok(0) => return Read::Eof,
                Ok(_) => {}
                Err(err) => return Read::Reset(err),
            }
        }
    }

    /// The next text frame as JSON, skipping pings (answered) and pongs; panics on anything
    /// else.
    pub async fn next_json(&mut self) -> Value {
        loop {
            match self.read_within(WAIT).await {
                Read::Frame {
                    opcode: TEXT,
                    payload,
                } => return serde_json::from_slice(&payload).expect("text frames are JSON"),
                Read::Frame {
                    opcode: PING,
                    payload,
                } => self.send_frame(PONG, &payload).await,
                Read::Frame { opcode: PONG, .. } => {}
                other => panic!("expected a text frame, got {other:?}"),
            }
        }
    }

    /// Reads (dropping text frames) until the server's close frame; returns its code, or
    /// says how the connection ended without one.
    pub async fn close_code(&mut self) -> Result<u16, String> {
        loop {
            match self.read_within(WAIT).await {
                Read::Frame {
                    opcode: CLOSE,
                    payload,
                } => {
                    assert!(payload.len() >= 2, "a close frame without a code");
                    return Ok(u16::from_be_bytes([payload[0], payload[1]]));
                }
                Read::Frame { .. } => {}
                Read::Eof => return Err("the TCP connection ended without a close frame".into()),
                Read::Reset(err) => return Err(format!("the connection was reset: {err}")),
            }
        }
    }

    /// Reads and drops everything until the TCP connection ends (EOF or reset); panics if it
    /// is still open after `wait`. Returns how many bytes came.
    pub async fn read_to_end(&mut self, wait: Duration) -> usize {
        let mut total = std::mem::take(&mut self.buf).len();
        let mut chunk = vec![0u8; 64 * 1024];
        let ended = tokio::time::timeout(wait, async {
            loop {
                match self.stream.read(&mut chunk).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => total += n,
                }
            }
        })
        .await;
        assert!(
            ended.is_ok(),
            "the server kept the TCP connection open for {wait:?} ({total} bytes read)"
        );
        total
    }
}

/// A client frame: FIN, `opcode`, the mask bit and a random mask, the masked payload.
pub fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 14);
    out.push(0x80 | opcode);
    match payload.len() {
        len @ 0..=125 => out.push(0x80 | len as u8),
        len @ 126..=0xFFFF => {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    let mask: [u8; 4] = rand::rng().random();
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
    out
}

/// A whole server frame at the start of `buf` (unmasked, as a server sends): its opcode,
/// payload and length in bytes; `None` until all of it is there.
fn parse_server_frame(buf: &[u8]) -> Option<(u8, Vec<u8>, usize)> {
    if buf.len() < 2 {
        return None;
    }
    let opcode = buf[0] & 0x0F;
    assert_eq!(buf[1] & 0x80, 0, "the server masked a frame");
    let (len, header) = match buf[1] & 0x7F {
        126 => (
            u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?) as usize,
            4,
        ),
        127 => (
            u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?) as usize,
            10,
        ),
        len => (len as usize, 2),
    };
    let payload = buf.get(header..header + len)?.to_vec();
    Some((opcode, payload, header + len))
}
