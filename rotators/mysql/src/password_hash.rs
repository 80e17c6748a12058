//! How a new password reaches the server: as a hash computed here whenever the account's plugin allows it.
//!
//! MariaDB writes every statement verbatim to its general log, slow log and audit plugins; it does not mask
//! `IDENTIFIED BY '<password>'`. For `mysql_native_password` accounts the stored form is
//! `'*' + HEX(SHA1(SHA1(password)))`, which the client can compute, so rotor sends only that hash
//! (`IDENTIFIED BY PASSWORD '*…'`, `SET PASSWORD … = '*…'`) and the plaintext never leaves the process.
//!
//! The hash is still kept out of logs and errors: with a captured handshake it lets an attacker log in, and it
//! permits an offline guessing attack.
//!
//! Where no client-side form is used, the plaintext travels inside TLS and the server's own rewriting is what
//! keeps it out of its logs: MySQL 5.7.6+ and 8.x rewrite `IDENTIFIED BY '…'` to `IDENTIFIED BY <secret>` in
//! the general, slow and binary logs (unless started with `--log-raw`). That is the case for
//! `caching_sha2_password` and `sha256_password`, whose stored forms are salted by the server, and for
//! single-user rotation on MySQL, where `ALTER USER … IDENTIFIED BY` is the only form an account without the
//! `CREATE USER` privilege may use.

use secrecy::{ExposeSecret, SecretString};
use sha1::{Digest, Sha1};

use crate::account::Quoting;
use crate::error::{MySqlError, MySqlFailure};
use crate::flavour::{Flavour, ServerVersion};

/// An account's authentication plugin, as far as rotation is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AuthPlugin {
    /// `mysql_native_password` (MariaDB's default; an empty plugin name on old servers means the same).
    Native,
    /// `caching_sha2_password` (MySQL 8's default).
    CachingSha2,
    /// `sha256_password`.
    Sha256,
    /// Anything else: `ed25519`, `unix_socket`, `auth_socket`, PAM, GSSAPI, LDAP, …
    Other(String),
}

impl AuthPlugin {
    /// The plugin named by `mysql.user.plugin`.
    pub(crate) fn from_name(name: &str) -> Self {
        match name.trim() {
            "" | "mysql_native_password" => Self::Native,
            "caching_sha2_password" => Self::CachingSha2,
            "sha256_password" => Self::Sha256,
            other => Self::Other(other.to_owned()),
        }
    }

    /// The plugin's name.
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Native => "mysql_native_password",
            Self::CachingSha2 => "caching_sha2_password",
            Self::Sha256 => "sha256_password",
            Self::Other(name) => name,
        }
    }
}

/// `'*' + HEX(SHA1(SHA1(password)))` in upper case: the stored form of a `mysql_native_password` password.
pub fn native_password_hash(password: &SecretString) -> SecretString {
    let inner = Sha1::digest(password.expose_secret().as_bytes());
    let outer = Sha1::digest(inner);
    let mut hash = String::with_capacity(41);
    hash.push('*');
    for byte in outer {
        hash.push(char::from(HEX[usize::from(byte >> 4)]));
        hash.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    SecretString::from(hash)
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// Whether `stored` (`mysql.user.authentication_string`) is the native hash of `password`: proves a password
/// without a login attempt.
pub(crate) fn native_hash_matches(stored: &str, password: &SecretString) -> bool {
    stored
        .trim()
        .eq_ignore_ascii_case(native_password_hash(password).expose_secret())
}

/// The `IDENTIFIED …` clause of `CREATE USER` / `ALTER USER` that sets `password` and keeps `plugin`.
///
/// | server  | plugin                               | clause                                                  |
/// |---------|--------------------------------------|---------------------------------------------------------|
/// | MariaDB | `mysql_native_password`              | `IDENTIFIED BY PASSWORD '*<hash>'`                      |
/// | MySQL   | `mysql_native_password`              | `IDENTIFIED WITH mysql_native_password AS '*<hash>'`    |
/// | MySQL   | `caching_sha2_password`, `sha256_…`  | `IDENTIFIED WITH <plugin> BY '<password>'` (server-masked) |
///
/// Every other combination is refused: rotor could not log in with it (`ed25519` needs a client plugin this
/// build leaves out) or it has no password at all (`unix_socket`, PAM, …).
pub(crate) fn identified_clause(
    version: &ServerVersion,
    plugin: &AuthPlugin,
    password: &SecretString,
    quoting: Quoting,
) -> Result<SecretString, MySqlError> {
    let clause = match (version.flavour, plugin) {
        (Flavour::MariaDb, AuthPlugin::Native) => {
            format!(
                "IDENTIFIED BY PASSWORD {}",
                quoting.literal(native_password_hash(password).expose_secret())
            )
        }
        (Flavour::MySql, AuthPlugin::Native) => format!(
            "IDENTIFIED WITH mysql_native_password AS {}",
            quoting.literal(native_password_hash(password).expose_secret())
        ),
        (Flavour::MySql, AuthPlugin::CachingSha2 | AuthPlugin::Sha256) => {
            format!(
                "IDENTIFIED WITH {} BY {}",
                plugin.name(),
                quoting.literal(password.expose_secret())
            )
        }
        (flavour, plugin) => {
            return Err(MySqlFailure::UnsupportedPlugin {
                flavour,
                plugin: plugin.name().to_owned(),
            }
            .into());
        }
    };
    Ok(SecretString::from(clause))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    #[test]
    fn the_native_hash_matches_the_servers_password_function() {
        // SELECT PASSWORD('Plain-Secret-1234') on MariaDB 10.11, and the classic test vector.
        assert_eq!(
            native_password_hash(&secret("Plain-Secret-1234")).expose_secret(),
            "*017A13B3A65E71F43DE4FE64816BCD54DD62277B"
        );
        assert_eq!(
            native_password_hash(&secret("password")).expose_secret(),
            "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"
        );
        assert!(native_hash_matches(
            "*2470c0c06dee42fd1618bb99005adca2ec9d1e19",
            &secret("password")
        ));
        assert!(!native_hash_matches("", &secret("password")));
    }

    #[test]
    fn clauses_carry_a_hash_on_mariadb_and_native_mysql() {
        let mariadb = ServerVersion::parse("10.11.19-MariaDB").unwrap();
        let mysql = ServerVersion::parse("8.0.36").unwrap();
        let password = secret("it's-a-\\-secret");
        let clause = |version: &ServerVersion, plugin: &AuthPlugin| -> Result<String, MySqlError> {
            identified_clause(version, plugin, &password, Quoting::DEFAULT)
                .map(|clause| clause.expose_secret().to_owned())
        };

        let on_mariadb = clause(&mariadb, &AuthPlugin::Native).unwrap();
        assert!(
            on_mariadb.starts_with("IDENTIFIED BY PASSWORD '*"),
            "{on_mariadb}"
        );
        assert!(!on_mariadb.contains("secret"));
        let native_mysql = clause(&mysql, &AuthPlugin::Native).unwrap();
        assert!(native_mysql.starts_with("IDENTIFIED WITH mysql_native_password AS '*"));
        assert_eq!(
            clause(&mysql, &AuthPlugin::CachingSha2).unwrap(),
            r"IDENTIFIED WITH caching_sha2_password BY 'it''s-a-\\-secret'"
        );
        assert!(matches!(
            clause(&mariadb, &AuthPlugin::from_name("ed25519")),
            Err(MySqlError::Engine(MySqlFailure::UnsupportedPlugin { .. }))
        ));
        assert!(matches!(
            clause(&mysql, &AuthPlugin::from_name("auth_socket")),
            Err(MySqlError::Engine(MySqlFailure::UnsupportedPlugin { .. }))
        ));
        assert!(
            clause(&mariadb, &AuthPlugin::CachingSha2).is_err(),
            "MariaDB has no caching_sha2_password"
        );
    }

    #[test]
    fn plugin_names_round_trip() {
        assert_eq!(AuthPlugin::from_name(""), AuthPlugin::Native);
        assert_eq!(
            AuthPlugin::from_name("caching_sha2_password").name(),
            "caching_sha2_password"
        );
        assert_eq!(AuthPlugin::from_name("ed25519").name(), "ed25519");
    }
}
