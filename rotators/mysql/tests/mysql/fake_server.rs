//! A fake MySQL server on loopback that records every login attempt and refuses it, so that a test can
//! prove which credentials a rotator sends where.
//!
//! It speaks just enough of the protocol: a v10 greeting offering `mysql_native_password` with a fixed
//! scramble and no TLS, reads the client's handshake response, records the user name and the scrambled
//! password, and answers "access denied" (1045), so that a client's credential search carries on as it would
//! against a real server that refuses the password.

use std::sync::{Arc, Mutex};

use sha1::{Digest, Sha1};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The scramble every greeting carries (20 bytes, no NUL).
const SCRAMBLE: &[u8; 20] = b"rotor-fake-scramble!";

/// One login attempt the fake server received.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub user: String,
    /// The client's `mysql_native_password` response to [`SCRAMBLE`].
    pub response: Vec<u8>,
}

/// A running fake server; dropping it stops it.
pub struct FakeMySqlServer {
    port: u16,
    attempts: Arc<Mutex<Vec<Attempt>>>,
    connections: Arc<Mutex<usize>>,
    task: JoinHandle<()>,
}

impl FakeMySqlServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let attempts = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(0));
        let (recorded, counted) = (Arc::clone(&attempts), Arc::clone(&connections));
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                *counted.lock().unwrap() += 1;
                let recorded = Arc::clone(&recorded);
                tokio::spawn(async move {
                    if let Some(attempt) = refuse_login(stream).await {
                        recorded.lock().unwrap().push(attempt);
                    }
                });
            }
        });
        Self {
            port,
            attempts,
            connections,
            task,
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// How many TCP connections were accepted.
    pub fn connections(&self) -> usize {
        *self.connections.lock().unwrap()
    }

    pub fn attempts(&self) -> Vec<Attempt> {
        self.attempts.lock().unwrap().clone()
    }

    /// Whether any recorded attempt carries `password` (its scrambled form, which would let this server log
    /// in to any real server that has the same password, by replaying a scramble it chose).
    pub fn received_password(&self, password: &str) -> bool {
        let expected = native_response(password);
        self.attempts().iter().any(|attempt| attempt.response == expected)
    }
}

impl Drop for FakeMySqlServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw)))`: what a client answers to [`SCRAMBLE`].
fn native_response(password: &str) -> Vec<u8> {
    let stage1 = Sha1::digest(password.as_bytes());
    let stage2 = Sha1::digest(stage1);
    let mut hasher = Sha1::new();
    hasher.update(SCRAMBLE);
    hasher.update(stage2);
    let mask = hasher.finalize();
    stage1.iter().zip(mask.iter()).map(|(a, b)| a ^ b).collect()
}

async fn refuse_login(mut stream: TcpStream) -> Option<Attempt> {
    write_packet(&mut stream, 0, &greeting()).await?;
    let (_, response) = read_packet(&mut stream).await?;
    let attempt = parse_response(&response);
    let mut error = vec![0xff];
    error.extend_from_slice(&1045u16.to_le_bytes());
    error.extend_from_slice(b"#28000Access denied");
    write_packet(&mut stream, 2, &error).await?;
    let _ = stream.shutdown().await;
    attempt
}

fn greeting() -> Vec<u8> {
    // LONG_PASSWORD, FOUND_ROWS, LONG_FLAG, CONNECT_WITH_DB, PROTOCOL_41, TRANSACTIONS, SECURE_CONNECTION,
    // MULTI_STATEMENTS, MULTI_RESULTS, PLUGIN_AUTH, PLUGIN_AUTH_LENENC_CLIENT_DATA; no SSL.
    let capabilities: u32 = 0x002b_a20f;
    let mut packet = vec![10];
    packet.extend_from_slice(b"5.7.99-fake\0");
    packet.extend_from_slice(&7u32.to_le_bytes());
    packet.extend_from_slice(&SCRAMBLE[..8]);
    packet.push(0);
    packet.extend_from_slice(&capabilities.to_le_bytes()[..2]);
    packet.push(0x21);
    packet.extend_from_slice(&2u16.to_le_bytes());
    packet.extend_from_slice(&capabilities.to_le_bytes()[2..]);
    packet.push(21);
    packet.extend_from_slice(&[0; 10]);
    packet.extend_from_slice(&SCRAMBLE[8..]);
    packet.push(0);
    packet.extend_from_slice(b"mysql_native_password\0");
    packet
}

/// The user and auth response of a HandshakeResponse41.
fn parse_response(packet: &[u8]) -> Option<Attempt> {
    let rest = packet.get(32..)?;
    let end = rest.iter().position(|byte| *byte == 0)?;
    let user = String::from_utf8_lossy(&rest[..end]).into_owned();
    let rest = &rest[end + 1..];
    let length = usize::from(*rest.first()?);
    let response = rest.get(1..=length)?.to_vec();
    Some(Attempt { user, response })
}

async fn write_packet(stream: &mut TcpStream, sequence: u8, payload: &[u8]) -> Option<()> {
    let length = u32::try_from(payload.len()).ok()?.to_le_bytes();
    let mut packet = vec![length[0], length[1], length[2], sequence];
    packet.extend_from_slice(payload);
    stream.write_all(&packet).await.ok()
}

async fn read_packet(stream: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut header = [0; 4];
    stream.read_exact(&mut header).await.ok()?;
    let length = usize::from(header[0]) | usize::from(header[1]) << 8 | usize::from(header[2]) << 16;
    let mut payload = vec![0; length];
    stream.read_exact(&mut payload).await.ok()?;
    Some((header[3], payload))
}

#[tokio::test]
async fn the_fake_server_recognises_a_password_it_was_sent() {
    let fake = FakeMySqlServer::start().await;
    let options = mysql_async::OptsBuilder::default()
        .ip_or_hostname("127.0.0.1")
        .tcp_port(fake.port())
        .user(Some("probe"))
        .pass(Some("sent-pw"))
        .prefer_socket(false);

    let refused = mysql_async::Conn::new(options).await;

    assert!(
        matches!(refused, Err(mysql_async::Error::Server(ref error)) if error.code == 1045),
        "{refused:?}"
    );
    assert!(fake.received_password("sent-pw"));
    assert!(!fake.received_password("another-pw"));
    assert_eq!(fake.attempts()[0].user, "probe");
}
