//! A login on a throwaway server, as Secrets Manager stores it.

use serde_json::{Value, json};

use crate::server::LOCALHOST;

/// The secret JSON AWS's rotation functions read for `username` on the server at `port`: `engine`, `host`,
/// `port` (a number, as RDS and the console write it), `username` and `password`. With `ca_cert_pem` the secret
/// trusts that CA (`ssl_ca`); without it, the server has no TLS and the secret says `"ssl": false`, since rotor
/// requires verified TLS unless told otherwise.
pub(crate) fn aws_secret(
    engine: &str,
    port: u16,
    username: &str,
    password: &str,
    ca_cert_pem: Option<&str>,
) -> Value {
    let mut secret = json!({
        "engine": engine,
        "host": LOCALHOST,
        "port": port,
        "username": username,
        "password": password,
    });
    match ca_cert_pem {
        Some(ca) => secret["ssl_ca"] = json!(ca),
        None => secret["ssl"] = json!(false),
    }
    secret
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_server_is_reached_without_tls_and_a_tls_server_through_its_ca() {
        let plain = aws_secret("postgres", 5432, "app", "pw", None);
        let tls = aws_secret("mariadb", 3306, "app", "pw", Some("PEM"));

        assert_eq!(
            plain,
            json!({"engine": "postgres", "host": "127.0.0.1", "port": 5432, "username": "app",
                   "password": "pw", "ssl": false})
        );
        assert_eq!(tls["ssl_ca"], "PEM");
        assert_eq!(tls.get("ssl"), None);
    }
}
