//! AWS's JSON format for database credentials and the logic both engine rotators share.
//!
//! No database code lives here: only the secret schema, the `_clone` naming rule, the TLS
//! decision, and the order in which stored credentials are tried.

use std::future::Future;

use secrecy::SecretString;

use crate::context::{CreateContext, StepContext};
use crate::error::{Classify, ErrorClass, RotatorError};
use crate::secret::{FieldError, SecretJson};

/// The environment variable that disables TLS for every secret (`disable`), as an explicit,
/// logged opt-out. Any other value keeps verification on.
pub const TLS_VARIABLE: &str = "ROTOR_TLS";
/// The environment variable naming an extra CA bundle: a PEM file path or inline PEM.
pub const CA_BUNDLE_VARIABLE: &str = "ROTOR_CA_BUNDLE";
/// The secret field naming an extra CA bundle: a PEM file path or inline PEM.
pub const CA_BUNDLE_FIELD: &str = "ssl_ca";
/// How many unlabelled versions single-user recovery reads at most.
pub const RECENT_VERSION_LIMIT: usize = 5;

/// The engines one rotator accepts, and their defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineFamily {
    /// Accepted values of the `engine` field.
    pub engines: &'static [&'static str],
    /// The port when the secret has none.
    pub default_port: u16,
    /// The database when the secret has none.
    pub default_dbname: Option<&'static str>,
}

/// Whether and how connections use TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsMode {
    /// TLS required; the certificate chain and host name are verified against the system roots
    /// plus the optional extra CA bundle.
    VerifyFull {
        /// Extra trusted CAs: a PEM file path or inline PEM.
        ca_bundle: Option<String>,
    },
    /// Plaintext, because the secret (`"ssl": false`) or `ROTOR_TLS=disable` says so.
    Disabled,
}

/// One database credential in AWS's secret format.
///
/// `Debug` redacts the password.
#[derive(Debug, Clone)]
pub struct DatabaseSecret {
    /// `engine`.
    pub engine: String,
    /// `host`.
    pub host: String,
    /// `port` (number or numeric string in the JSON).
    pub port: u16,
    /// `username`.
    pub username: String,
    /// `password`.
    pub password: SecretString,
    /// `dbname`, or the family's default.
    pub dbname: Option<String>,
    /// `masterarn`: the secret of the user that manages alternating users.
    pub master_arn: Option<String>,
    /// The TLS decision for this secret.
    pub tls: TlsMode,
}

impl DatabaseSecret {
    /// Parses and validates a secret for `family`. Errors name the field, never its value.
    pub fn parse(json: &SecretJson, family: &EngineFamily) -> Result<Self, FieldError> {
        Self::parse_with_env(json, family, |name| std::env::var(name).ok())
    }

    /// Like [`parse`](Self::parse), reading the TLS variables through `env`.
    pub fn parse_with_env(
        json: &SecretJson,
        family: &EngineFamily,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, FieldError> {
        let engine = json.required_str("engine")?;
        if !family.engines.contains(&engine) {
            return Err(FieldError::Invalid {
                field: "engine".into(),
                expected: "does not name an engine this rotator supports",
            });
        }
        let disabled_by_env =
            env(TLS_VARIABLE).is_some_and(|value| value.trim().eq_ignore_ascii_case("disable"));
        let tls = if json.flag("ssl")? == Some(false) || disabled_by_env {
            TlsMode::Disabled
        } else {
            let from_secret = json
                .optional_str(CA_BUNDLE_FIELD)?
                .filter(|text| !text.is_empty())
                .map(str::to_owned);
            TlsMode::VerifyFull {
                ca_bundle: from_secret.or_else(|| env(CA_BUNDLE_VARIABLE).filter(|text| !text.is_empty())),
            }
        };
        Ok(Self {
            engine: engine.to_owned(),
            host: json.required_str("host")?.to_owned(),
            port: json.port("port", family.default_port)?,
            username: json.required_str("username")?.to_owned(),
            password: json.password()?,
            dbname: json
                .optional_str("dbname")?
                .map(str::to_owned)
                .or(family.default_dbname.map(str::to_owned)),
            master_arn: json.optional_str("masterarn")?.map(str::to_owned),
            tls,
        })
    }

    /// Checks that `other` points at the same server and database: a rotation must never move a
    /// credential to another host. Returns the first field that differs.
    pub fn same_target(&self, other: &DatabaseSecret) -> Result<(), &'static str> {
        if !self.host.eq_ignore_ascii_case(&other.host) {
            return Err("host");
        }
        if self.port != other.port {
            return Err("port");
        }
        if self.dbname != other.dbname {
            return Err("dbname");
        }
        Ok(())
    }
}

/// The suffix that marks the second user of an alternating pair.
pub const CLONE_SUFFIX: &str = "_clone";

/// The other user of an alternating pair: `name` ↔ `name_clone`. `None` when the result would
/// be longer than `max_bytes`.
pub fn alternate_username(username: &str, max_bytes: usize) -> Option<String> {
    let alternate = match username.strip_suffix(CLONE_SUFFIX) {
        Some(original) if !original.is_empty() => original.to_owned(),
        _ => format!("{username}{CLONE_SUFFIX}"),
    };
    (alternate.len() <= max_bytes).then_some(alternate)
}

/// The alternating-users username is too long for the engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("username with {CLONE_SUFFIX} appended would exceed {max_bytes} bytes")]
pub struct UsernameTooLong {
    /// The engine's limit.
    pub max_bytes: usize,
}

impl Classify for UsernameTooLong {
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }

    fn error_type(&self) -> &'static str {
        "UsernameTooLong"
    }
}

/// createSecret for alternating users: AWSCURRENT with `username` toggled and a new password.
pub async fn alternating_pending(
    ctx: &CreateContext<'_>,
    max_bytes: usize,
) -> Result<SecretJson, RotatorError> {
    let current = ctx.current();
    let username = current
        .required_str("username")
        .map_err(|problem| ctx.malformed("AWSCURRENT", problem))?;
    let alternate = alternate_username(username, max_bytes).ok_or(UsernameTooLong { max_bytes })?;
    let mut pending = current.clone();
    pending.set("username", alternate);
    pending.set_password(&ctx.new_password().await?);
    Ok(pending)
}

/// Which stored version a credential came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialSource {
    /// AWSCURRENT.
    Current,
    /// This rotation's AWSPENDING.
    Pending,
    /// AWSPREVIOUS.
    Previous,
    /// An unlabelled version, by id.
    Recent(String),
}

impl std::fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Current => f.write_str("AWSCURRENT"),
            Self::Pending => f.write_str("AWSPENDING"),
            Self::Previous => f.write_str("AWSPREVIOUS"),
            Self::Recent(version) => write!(f, "version {version}"),
        }
    }
}

/// No stored credential was accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no stored credential logs in: tried {tried} credentials (current, pending, previous and recent versions)"
)]
pub struct NoWorkingCredential {
    /// How many credentials were tried.
    pub tried: usize,
}

impl Classify for NoWorkingCredential {
    fn class(&self) -> ErrorClass {
        ErrorClass::AuthFailure
    }

    fn error_type(&self) -> &'static str {
        "NoWorkingCredential"
    }
}

/// Tries `login` with AWSCURRENT, then AWSPENDING, then AWSPREVIOUS, then the newest unlabelled
/// versions, and returns the first success with its source.
///
/// Only an [`ErrorClass::AuthFailure`] moves on to the next credential; any other error stops at
/// once, so a network fault is never mistaken for a wrong password. Current comes first, so a
/// healthy rotation never fails a login; older versions are read only when needed, recovering a
/// password set by a rotation that was later cancelled.
pub async fn login_with_fallback<T, F, Fut>(
    ctx: &StepContext<'_>,
    mut login: F,
) -> Result<(CredentialSource, T), RotatorError>
where
    F: FnMut(CredentialSource, SecretJson) -> Fut + Send,
    Fut: Future<Output = Result<T, RotatorError>> + Send,
    T: Send,
{
    let mut tried = 0;
    for tier in 0..3 {
        let candidates: Vec<(CredentialSource, SecretJson)> = match tier {
            0 => vec![
                (CredentialSource::Current, ctx.current().await?.clone()),
                (CredentialSource::Pending, ctx.pending().clone()),
            ],
            1 => ctx
                .previous()
                .await?
                .map(|previous| (CredentialSource::Previous, previous.clone()))
                .into_iter()
                .collect(),
            _ => ctx
                .recent_versions(RECENT_VERSION_LIMIT)
                .await?
                .into_iter()
                .map(|version| (CredentialSource::Recent(version.version_id), version.value))
                .collect(),
        };
        for (source, json) in candidates {
            tried += 1;
            if tier > 0 {
                tracing::warn!(
                    secret_id = ctx.secret_id(),
                    %source,
                    "current and pending credentials were refused; trying an older version"
                );
            }
            match login(source.clone(), json).await {
                Ok(value) => return Ok((source, value)),
                Err(error) if error.class() == ErrorClass::AuthFailure => {}
                Err(error) => return Err(error),
            }
        }
    }
    Err(NoWorkingCredential { tried }.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::SecretValue;

    const POSTGRES: EngineFamily = EngineFamily {
        engines: &["postgres", "aurora-postgresql"],
        default_port: 5432,
        default_dbname: Some("postgres"),
    };

    fn secret(text: &str) -> SecretJson {
        SecretJson::parse(&SecretValue::new(text)).unwrap()
    }

    fn parse(text: &str, env: &[(&str, &str)]) -> Result<DatabaseSecret, FieldError> {
        DatabaseSecret::parse_with_env(&secret(text), &POSTGRES, |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    #[test]
    fn aws_format_with_defaults() {
        let parsed = parse(
            r#"{"engine":"postgres","host":"db","username":"app","password":"pw"}"#,
            &[],
        )
        .unwrap();
        assert_eq!((parsed.port, parsed.dbname.as_deref()), (5432, Some("postgres")));
        assert_eq!(parsed.tls, TlsMode::VerifyFull { ca_bundle: None });
        assert!(!format!("{parsed:?}").contains("\"pw\""));
        let parsed = parse(
            r#"{"engine":"aurora-postgresql","host":"db","port":"6432","username":"app","password":"pw","dbname":"x","masterarn":"arn:m","ssl":"true"}"#,
            &[],
        )
        .unwrap();
        assert_eq!(
            (
                parsed.port,
                parsed.dbname.as_deref(),
                parsed.master_arn.as_deref()
            ),
            (6432, Some("x"), Some("arn:m"))
        );
    }

    #[test]
    fn tls_is_off_only_when_explicitly_disabled() {
        let base = r#"{"engine":"postgres","host":"db","username":"app","password":"pw""#;
        assert_eq!(
            parse(&format!("{base},\"ssl\":false}}"), &[]).unwrap().tls,
            TlsMode::Disabled
        );
        assert_eq!(
            parse(&format!("{base},\"ssl\":\"FALSE\"}}"), &[]).unwrap().tls,
            TlsMode::Disabled
        );
        assert_eq!(
            parse(&format!("{base}}}"), &[(TLS_VARIABLE, "disable")])
                .unwrap()
                .tls,
            TlsMode::Disabled
        );
        assert!(matches!(
            parse(&format!("{base}}}"), &[(TLS_VARIABLE, "yes please")])
                .unwrap()
                .tls,
            TlsMode::VerifyFull { .. }
        ));
        assert!(
            parse(&format!("{base},\"ssl\":\"sometimes\"}}"), &[]).is_err(),
            "an unclear ssl value is refused, not guessed"
        );
        assert_eq!(
            parse(
                &format!("{base},\"ssl_ca\":\"/ca.pem\"}}"),
                &[(CA_BUNDLE_VARIABLE, "/env.pem")]
            )
            .unwrap()
            .tls,
            TlsMode::VerifyFull {
                ca_bundle: Some("/ca.pem".into())
            }
        );
        assert_eq!(
            parse(&format!("{base}}}"), &[(CA_BUNDLE_VARIABLE, "/env.pem")])
                .unwrap()
                .tls,
            TlsMode::VerifyFull {
                ca_bundle: Some("/env.pem".into())
            }
        );
    }

    #[test]
    fn wrong_engine_and_missing_fields_are_named() {
        let error = parse(
            r#"{"engine":"mysql","host":"db","username":"app","password":"pw"}"#,
            &[],
        )
        .unwrap_err();
        assert!(error.to_string().contains("engine"));
        let error = parse(r#"{"engine":"postgres","username":"app","password":"pw"}"#, &[]).unwrap_err();
        assert_eq!(error, FieldError::Missing("host".into()));
    }

    #[test]
    fn same_target_compares_host_port_and_database() {
        let a = parse(
            r#"{"engine":"postgres","host":"DB","username":"app","password":"pw"}"#,
            &[],
        )
        .unwrap();
        let b = parse(
            r#"{"engine":"postgres","host":"db","username":"x","password":"y"}"#,
            &[],
        )
        .unwrap();
        assert_eq!(a.same_target(&b), Ok(()));
        let c = parse(
            r#"{"engine":"postgres","host":"other","username":"app","password":"pw"}"#,
            &[],
        )
        .unwrap();
        assert_eq!(a.same_target(&c), Err("host"));
        let d = parse(
            r#"{"engine":"postgres","host":"db","port":1,"username":"app","password":"pw"}"#,
            &[],
        )
        .unwrap();
        assert_eq!(a.same_target(&d), Err("port"));
    }

    #[test]
    fn clone_names_toggle_and_respect_the_limit() {
        assert_eq!(alternate_username("app", 63).as_deref(), Some("app_clone"));
        assert_eq!(alternate_username("app_clone", 63).as_deref(), Some("app"));
        assert_eq!(alternate_username("_clone", 63).as_deref(), Some("_clone_clone"));
        assert_eq!(
            alternate_username(&"a".repeat(57), 63).map(|name| name.len()),
            Some(63)
        );
        assert_eq!(alternate_username(&"a".repeat(58), 63), None);
        assert_eq!(
            alternate_username(&"é".repeat(29), 63),
            None,
            "the limit counts bytes, not characters"
        );
    }
}
