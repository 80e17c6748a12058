//! A local Lambda Runtime API: the HTTP interface a `provided.al2023` bootstrap polls.
//!
//! Only what a function uses is served, over plain HTTP/1.1 with keep-alive on 127.0.0.1:
//!
//! - `GET  /2018-06-01/runtime/invocation/next` long-polls for the next event and answers it with
//!   the `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms` and
//!   `Lambda-Runtime-Invoked-Function-Arn` headers;
//! - `POST /2018-06-01/runtime/invocation/{id}/response` and `.../{id}/error` complete it;
//! - `POST /2018-06-01/runtime/init/error` records an initialisation failure.
//!
//! The server lives in the test process, so when a test dies the bootstrap's long poll fails and
//! the runtime exits by itself.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};
use tokio::task::{JoinHandle, JoinSet};

const PREFIX: &str = "/2018-06-01/runtime";
/// How long a function gets per invocation; also the deadline the runtime hands it.
pub const INVOCATION_TIMEOUT: Duration = Duration::from_secs(60);

/// How the function completed one invocation.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// `POST .../response` with this JSON body.
    Response(Value),
    /// `POST .../error`.
    Error(FunctionError),
}

/// What the function posted to `.../error` or `/init/error`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionError {
    /// `errorType` from the JSON body.
    pub error_type: String,
    /// `errorMessage` from the JSON body.
    pub error_message: String,
    /// The `Lambda-Runtime-Function-Error-Type` header, if sent.
    pub header: Option<String>,
}

impl Outcome {
    /// The error, or a panic naming the unexpected success.
    pub fn unwrap_error(self) -> FunctionError {
        match self {
            Self::Error(error) => error,
            Self::Response(body) => panic!("expected the function to fail, it answered {body}"),
        }
    }
}

struct Invocation {
    request_id: String,
    payload: Vec<u8>,
    deadline_ms: u128,
}

#[derive(Default)]
struct State {
    function_arn: String,
    queue: Mutex<VecDeque<Invocation>>,
    queued: Notify,
    pending: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
    polls: Mutex<Vec<Instant>>,
    polled: Notify,
    init_errors: Mutex<Vec<FunctionError>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panicking connection task must not hide the state from the test that reports it.
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running Runtime API. Dropping it closes the listener and every connection.
pub struct RuntimeApi {
    addr: SocketAddr,
    state: Arc<State>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    /// Listens on a free port of 127.0.0.1, for a function called `function_name`.
    pub async fn start(function_name: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Runtime API on 127.0.0.1");
        let addr = listener.local_addr().expect("the Runtime API's address");
        let state = Arc::new(State {
            function_arn: format!("arn:aws:lambda:us-east-1:123456789012:function:{function_name}"),
            ..State::default()
        });
        let server = tokio::spawn(serve(listener, Arc::clone(&state)));
        Self { addr, state, server }
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`: `127.0.0.1:<port>`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    /// Queues `payload` as the next event and waits for the function to complete it.
    ///
    /// Panics when the function does not answer within [`INVOCATION_TIMEOUT`] plus a margin.
    pub async fn invoke(&self, payload: &Value) -> Outcome {
        let request_id = uuid::Uuid::new_v4().to_string();
        let deadline = SystemTime::now() + INVOCATION_TIMEOUT;
        let deadline_ms = deadline
            .duration_since(UNIX_EPOCH)
            .expect("the clock is after 1970")
            .as_millis();
        let (done, outcome) = oneshot::channel();
        lock(&self.state.pending).insert(request_id.clone(), done);
        lock(&self.state.queue).push_back(Invocation {
            request_id,
            payload: serde_json::to_vec(payload).expect("serialise the event"),
            deadline_ms,
        });
        self.state.queued.notify_one();
        match tokio::time::timeout(INVOCATION_TIMEOUT + Duration::from_secs(5), outcome).await {
            Ok(Ok(outcome)) => outcome,
            Ok(Err(_)) => panic!("the Runtime API dropped an invocation"),
            Err(_) => panic!("the function did not complete the invocation within {INVOCATION_TIMEOUT:?}"),
        }
    }

    /// When each `GET .../invocation/next` arrived, in order.
    pub fn polls(&self) -> Vec<Instant> {
        lock(&self.state.polls).clone()
    }

    /// Waits until the function has polled for an event at least once and returns when it first
    /// did, or `None` after `timeout`.
    pub async fn first_poll(&self, timeout: Duration) -> Option<Instant> {
        let waited = tokio::time::timeout(timeout, async {
            loop {
                let polled = self.state.polled.notified();
                if let Some(first) = lock(&self.state.polls).first() {
                    return *first;
                }
                polled.await;
            }
        });
        waited.await.ok()
    }

    /// Everything posted to `/init/error` so far.
    pub fn init_errors(&self) -> Vec<FunctionError> {
        lock(&self.state.init_errors).clone()
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // Aborting the server drops its JoinSet, which aborts every connection task.
        self.server.abort();
    }
}

async fn serve(listener: TcpListener, state: Arc<State>) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    connections.spawn(connection(stream, Arc::clone(&state)));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
}

struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

struct Reply {
    status: &'static str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn accepted() -> Self {
        Self {
            status: "202 Accepted",
            headers: vec![("Content-Type", "application/json".to_owned())],
            body: br#"{"status":"OK"}"#.to_vec(),
        }
    }

    fn error(status: &'static str, error_type: &str) -> Self {
        Self {
            status,
            headers: vec![("Content-Type", "application/json".to_owned())],
            body: serde_json::json!({"errorType": error_type, "errorMessage": error_type})
                .to_string()
                .into_bytes(),
        }
    }
}

/// Serves requests on one keep-alive connection until the client closes it.
async fn connection(stream: TcpStream, state: Arc<State>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    while let Ok(Some(request)) = read_request(&mut reader).await {
        let reply = route(&state, request).await;
        let mut head = format!("HTTP/1.1 {}\r\n", reply.status);
        for (name, value) in &reply.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", reply.body.len()));
        let written = async {
            writer.write_all(head.as_bytes()).await?;
            writer.write_all(&reply.body).await?;
            writer.flush().await
        };
        if written.await.is_err() {
            return;
        }
    }
}

async fn route(state: &State, request: Request) -> Reply {
    let Some(rest) = request.path.strip_prefix(PREFIX) else {
        return Reply::error("404 Not Found", "UnknownPath");
    };
    match (request.method.as_str(), rest) {
        ("GET", "/invocation/next") => next_invocation(state).await,
        ("POST", "/init/error") => {
            lock(&state.init_errors).push(function_error(&request));
            Reply::accepted()
        }
        ("POST", rest) => {
            let Some(rest) = rest.strip_prefix("/invocation/") else {
                return Reply::error("404 Not Found", "UnknownPath");
            };
            let (request_id, outcome) = if let Some(id) = rest.strip_suffix("/response") {
                let body = if request.body.is_empty() {
                    Value::Null
                } else {
                    serde_json::from_slice(&request.body).unwrap_or_else(|_| {
                        Value::String(String::from_utf8_lossy(&request.body).into_owned())
                    })
                };
                (id, Outcome::Response(body))
            } else if let Some(id) = rest.strip_suffix("/error") {
                (id, Outcome::Error(function_error(&request)))
            } else {
                return Reply::error("404 Not Found", "UnknownPath");
            };
            match lock(&state.pending).remove(request_id) {
                Some(waiter) => {
                    let _receiver_gone = waiter.send(outcome);
                    Reply::accepted()
                }
                None => Reply::error("400 Bad Request", "InvalidRequestID"),
            }
        }
        _ => Reply::error("404 Not Found", "UnknownPath"),
    }
}

/// Long-polls: answers as soon as an invocation is queued.
async fn next_invocation(state: &State) -> Reply {
    lock(&state.polls).push(Instant::now());
    state.polled.notify_waiters();
    let invocation = loop {
        let queued = state.queued.notified();
        if let Some(invocation) = lock(&state.queue).pop_front() {
            break invocation;
        }
        queued.await;
    };
    Reply {
        status: "200 OK",
        headers: vec![
            ("Content-Type", "application/json".to_owned()),
            ("Lambda-Runtime-Aws-Request-Id", invocation.request_id),
            ("Lambda-Runtime-Deadline-Ms", invocation.deadline_ms.to_string()),
            ("Lambda-Runtime-Invoked-Function-Arn", state.function_arn.clone()),
            (
                "Lambda-Runtime-Trace-Id",
                "Root=1-00000000-000000000000000000000000;Sampled=0".to_owned(),
            ),
        ],
        body: invocation.payload,
    }
}

fn function_error(request: &Request) -> FunctionError {
    let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
    let field = |name: &str| {
        body.get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    FunctionError {
        error_type: field("errorType"),
        error_message: field("errorMessage"),
        header: request
            .header("Lambda-Runtime-Function-Error-Type")
            .map(str::to_owned),
    }
}

/// Reads one request; `None` when the client closed the connection between requests.
async fn read_request<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line).await? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let (Some(method), Some(path)) = (parts.next(), parts.next()) else {
        return Err(std::io::Error::other(format!("bad request line {line:?}")));
    };
    let (method, path) = (method.to_owned(), path.to_owned());
    let mut headers = Vec::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let mut request = Request {
        method,
        path,
        headers,
        body: Vec::new(),
    };
    if request
        .header("Transfer-Encoding")
        .is_some_and(|value| value.eq_ignore_ascii_case("chunked"))
    {
        request.body = read_chunked(reader).await?;
    } else if let Some(length) = request.header("Content-Length") {
        let length: usize = length
            .parse()
            .map_err(|_| std::io::Error::other(format!("bad Content-Length {length:?}")))?;
        request.body = vec![0; length];
        reader.read_exact(&mut request.body).await?;
    }
    Ok(Some(request))
}

async fn read_chunked<R: AsyncBufReadExt + Unpin>(reader: &mut R) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        let size = line.trim().split(';').next().unwrap_or_default();
        let size = usize::from_str_radix(size, 16)
            .map_err(|_| std::io::Error::other(format!("bad chunk size {line:?}")))?;
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                line.clear();
                if reader.read_line(&mut line).await? == 0 || line.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..]).await?;
        line.clear();
        reader.read_line(&mut line).await?;
    }
}
