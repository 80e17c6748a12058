//! The throwaway moto server answers Secrets Manager calls and forgets them on reset.

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use rotor_testkit::MotoServer;

/// Calls a Secrets Manager action on moto with a hand-made (unsigned) JSON request, returning the response body.
async fn secrets_manager(server: &MotoServer, action: &str, body: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", server.port()))
        .await
        .unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/secretsmanager/aws4_request, \
         SignedHeaders=host, Signature=0\r\n\
         Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: secretsmanager.{action}\r\n\
         Content-Length: {length}\r\nConnection: close\r\n\r\n{body}",
        port = server.port(),
        length = body.len(),
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    response.split_once("\r\n\r\n").unwrap().1.to_owned()
}

#[tokio::test]
async fn moto_stores_secrets_until_reset() {
    let server = MotoServer::start().await.unwrap();

    let created = secrets_manager(
        &server,
        "CreateSecret",
        r#"{"Name":"db","SecretString":"s3cret"}"#,
    )
    .await;
    let before_reset = secrets_manager(&server, "ListSecrets", "{}").await;
    server.reset().await.unwrap();
    let after_reset = secrets_manager(&server, "ListSecrets", "{}").await;

    assert!(created.contains("arn:aws:secretsmanager:us-east-1:"), "{created}");
    assert!(before_reset.contains(r#""Name": "db""#), "{before_reset}");
    assert!(!after_reset.contains(r#""Name": "db""#), "{after_reset}");
    assert_eq!(server.endpoint(), format!("http://127.0.0.1:{}", server.port()));
    assert!(server.log().unwrap().contains("POST /moto-api/reset"));
}
