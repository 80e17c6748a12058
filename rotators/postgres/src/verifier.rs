//! Password verifiers computed on the client, in the format the server is set to store.
//!
//! PostgreSQL hashes a plaintext `PASSWORD '…'` according to `password_encryption`, but rotor
//! never sends the plaintext: it reads the session's `password_encryption` and sends a verifier
//! of that kind. SCRAM-SHA-256 everywhere except where the server is set to `md5`, where an md5
//! verifier keeps md5-only clients working, exactly as a plaintext `ALTER ROLE` would have.

use postgres_protocol::escape::escape_literal;
use secrecy::{ExposeSecret, SecretString};

use crate::connect::Session;
use crate::error::PgError;

/// The session's `password_encryption`. Nothing is resolved through `search_path`, which is
/// pinned anyway.
const PASSWORD_ENCRYPTION: &str = "SELECT pg_catalog.current_setting('password_encryption')";

/// How the server stores new passwords (`password_encryption`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum PasswordEncryption {
    /// `scram-sha-256`, PostgreSQL's default since 14.
    ScramSha256,
    /// `md5` (spelt `on` before PostgreSQL 14).
    Md5,
}

impl PasswordEncryption {
    /// The encryption a `password_encryption` value names. Anything but `md5` (or the old `on`)
    /// means SCRAM-SHA-256, the stronger format, which every supported server accepts.
    pub(crate) fn from_setting(value: &str) -> Self {
        match value.trim().to_ascii_lowercase().as_str() {
            "md5" | "on" => Self::Md5,
            _ => Self::ScramSha256,
        }
    }

    /// Reads the session's `password_encryption`, which follows the server's configuration and
    /// any database- or role-level setting of the session's user.
    pub(crate) async fn of_session(session: &Session) -> Result<Self, PgError> {
        const OPERATION: &str = "SELECT password_encryption";
        let value: String = session.query_value(OPERATION, PASSWORD_ENCRYPTION).await?;
        Ok(Self::from_setting(&value))
    }

    /// The name PostgreSQL uses, for logs.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ScramSha256 => "scram-sha-256",
            Self::Md5 => "md5",
        }
    }
}

/// A password verifier: `SCRAM-SHA-256$4096:salt$StoredKey:ServerKey` with a fresh random salt,
/// or `md5` followed by the hex MD5 of the password and the role name. It is not the password,
/// but it is still kept out of logs and errors because it permits an offline guessing attack.
pub(crate) struct Verifier(SecretString);

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Verifier([REDACTED])")
    }
}

impl Verifier {
    /// The SCRAM-SHA-256 verifier of `password`, after SASLprep as the server applies it at login.
    pub(crate) fn of(password: &SecretString) -> Self {
        let verifier = postgres_protocol::password::scram_sha_256(password.expose_secret().as_bytes());
        Self(SecretString::from(verifier))
    }

    /// The md5 verifier of `password` for the role `role`: the role name is the salt, so the
    /// verifier is only valid for that role.
    pub(crate) fn md5(role: &str, password: &SecretString) -> Self {
        let verifier = postgres_protocol::password::md5(password.expose_secret().as_bytes(), role);
        Self(SecretString::from(verifier))
    }

    /// The verifier `encryption` asks for, for the role `role`.
    pub(crate) fn for_role(encryption: PasswordEncryption, role: &str, password: &SecretString) -> Self {
        match encryption {
            PasswordEncryption::ScramSha256 => Self::of(password),
            PasswordEncryption::Md5 => Self::md5(role, password),
        }
    }

    /// `PASSWORD '<verifier>'`, for `CREATE ROLE` and `ALTER ROLE`.
    pub(crate) fn password_clause(&self) -> String {
        format!("PASSWORD {}", escape_literal(self.0.expose_secret()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_salts_make_every_verifier_different() {
        let password = SecretString::from("same");
        assert_ne!(
            Verifier::of(&password).0.expose_secret(),
            Verifier::of(&password).0.expose_secret()
        );
    }

    #[test]
    fn md5_verifiers_are_md5_of_password_then_role_name() {
        // `printf 'secretapp' | md5sum`
        let expected = "md56a422f785c9e20873908ce25d1736ae2";
        let verifier = Verifier::md5("app", &SecretString::from("secret"));

        assert_eq!(verifier.0.expose_secret(), expected);
        assert_eq!(verifier.password_clause(), format!("PASSWORD '{expected}'"));
        assert_ne!(
            Verifier::md5("app_clone", &SecretString::from("secret"))
                .0
                .expose_secret(),
            expected,
            "the role name is the salt"
        );
        assert!(!format!("{verifier:?}").contains("md5"));
    }

    #[test]
    fn only_md5_settings_give_md5_verifiers() {
        assert_eq!(PasswordEncryption::from_setting("md5"), PasswordEncryption::Md5);
        assert_eq!(PasswordEncryption::from_setting(" MD5 "), PasswordEncryption::Md5);
        assert_eq!(PasswordEncryption::from_setting("on"), PasswordEncryption::Md5);
        for value in ["scram-sha-256", "off", "", "something-new"] {
            assert_eq!(
                PasswordEncryption::from_setting(value),
                PasswordEncryption::ScramSha256,
                "{value:?}"
            );
        }
        let password = SecretString::from("p");
        let scram = Verifier::for_role(PasswordEncryption::ScramSha256, "app", &password);
        let md5 = Verifier::for_role(PasswordEncryption::Md5, "app", &password);
        assert!(scram.0.expose_secret().starts_with("SCRAM-SHA-256$4096:"));
        assert!(md5.0.expose_secret().starts_with("md5"));
        assert_eq!(md5.0.expose_secret().len(), 35);
    }
}
