//! The smallest HTTP/1.1 client that can poll, reset and configure moto, so neither this crate nor the test kit
//! needs an HTTP dependency.
//!
//! It speaks only to `127.0.0.1`, sends one request per connection (`Connection: close`) and reads the whole
//! response: enough for moto's own API (`/moto-api/...`) and for the few AWS calls the test kit makes by hand.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::LaunchError;

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP response: its status code and body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The status code, e.g. `200`.
    pub status: u16,
    /// The body, decoded as UTF-8 (lossily).
    pub body: String,
}

/// Sends `method path` with an empty body to `127.0.0.1:port` and reads the whole response
/// (`Connection: close`, so the end of the stream is the end of the response).
///
/// # Errors
/// [`LaunchError::Http`] when nothing answers in time or the answer is not HTTP.
pub async fn request(port: u16, method: &str, path: &str) -> Result<Response, LaunchError> {
    send(port, method, path, &[], "").await
}

/// Sends `method path` with extra headers and a body to `127.0.0.1:port` and reads the whole
/// response.
///
/// # Errors
/// [`LaunchError::Http`] when nothing answers in time or the answer is not HTTP.
pub async fn send(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Response, LaunchError> {
    let failure = |detail: String| LaunchError::Http {
        request: format!("{method} {path}"),
        detail,
    };
    let exchange = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes()).await?;
        stream.write_all(body.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| failure(format!("no response within {REQUEST_TIMEOUT:?}")))?
        .map_err(|error| failure(error.to_string()))?;
    parse(&String::from_utf8_lossy(&raw)).ok_or_else(|| failure("malformed HTTP response".to_owned()))
}

fn parse(raw: &str) -> Option<Response> {
    let (head, body) = raw.split_once("\r\n\r\n")?;
    let status_line = head.lines().next()?;
    let mut parts = status_line.split_whitespace();
    let _version = parts.next().filter(|version| version.starts_with("HTTP/"))?;
    let status = parts.next()?.parse().ok()?;
    Some(Response {
        status,
        body: body.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_and_body_are_parsed() {
        let raw = "HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n{\"status\": \"ok\"}";

        let response = parse(raw).unwrap();

        assert_eq!(
            response,
            Response {
                status: 200,
                body: "{\"status\": \"ok\"}".to_owned()
            }
        );
    }

    #[test]
    fn garbage_is_not_a_response() {
        assert_eq!(parse("hello\r\n\r\n"), None);
        assert_eq!(parse("HTTP/1.1 abc\r\n\r\n"), None);
    }

    #[tokio::test]
    async fn nothing_listening_is_an_http_error() {
        let port = crate::server::free_port().unwrap();

        let error = request(port, "GET", "/").await.unwrap_err();

        assert!(matches!(error, LaunchError::Http { ref request, .. } if request == "GET /"));
    }
}
