//! AWS's PostgreSQL secret format, and the checks that run before any connection is made.

use rotor_core::database::{DatabaseSecret, EngineFamily, TlsMode, alternate_username};
use rotor_core::{FieldError, RotationError, SecretContext, SecretJson};
use secrecy::SecretString;

use crate::error::PgError;

/// The engines, port and database AWS's PostgreSQL rotators accept and default to.
pub const POSTGRES: EngineFamily = EngineFamily {
    engines: &["postgres", "aurora-postgresql"],
    default_port: 5432,
    default_dbname: Some("postgres"),
};

/// PostgreSQL's identifier limit (`NAMEDATALEN - 1`). The server silently truncates longer names,
/// which would make a rotation change a different role than the secret names, so they are refused.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

/// One PostgreSQL credential in AWS's secret format (`engine`, `host`, `port`, `username`,
/// `password`, `dbname`, `masterarn`, `ssl`, plus rotor's `ssl_ca`).
///
/// `Debug` redacts the password. Unknown keys are not represented here: rotations rewrite the
/// stored JSON, which keeps them.
#[derive(Debug, Clone)]
pub struct PgSecret {
    /// `host`.
    pub host: String,
    /// `port`, 5432 by default.
    pub port: u16,
    /// `username`: a role name of at most 63 bytes without NUL.
    pub username: String,
    /// `password`.
    pub password: SecretString,
    /// `dbname`, `postgres` by default.
    pub dbname: String,
    /// `masterarn`, for alternating users.
    pub master_arn: Option<String>,
    /// Verified TLS unless the secret or the environment explicitly disables it.
    pub tls: TlsMode,
}

impl PgSecret {
    /// Parses and validates a secret. Errors name the field, never its value.
    pub fn parse(json: &SecretJson) -> Result<Self, FieldError> {
        Self::from_database(DatabaseSecret::parse(json, &POSTGRES)?)
    }

    /// Validates a secret already parsed by rotor-core.
    pub fn from_database(secret: DatabaseSecret) -> Result<Self, FieldError> {
        check_role_name(&secret.username).map_err(|expected| FieldError::Invalid {
            field: "username".into(),
            expected,
        })?;
        Ok(Self {
            host: secret.host,
            port: secret.port,
            username: secret.username,
            password: secret.password,
            dbname: secret.dbname.unwrap_or_else(|| "postgres".to_owned()),
            master_arn: secret.master_arn,
            tls: secret.tls,
        })
    }

    /// The first of `host`, `port` and `dbname` that differs from `other`'s.
    pub fn differs_from(&self, other: &PgSecret) -> Option<&'static str> {
        if !self.host.eq_ignore_ascii_case(&other.host) {
            Some("host")
        } else if self.port != other.port {
            Some("port")
        } else if self.dbname != other.dbname {
            Some("dbname")
        } else {
            None
        }
    }
}

/// Parses one version of the secret being rotated, reporting problems as a malformed secret.
pub(crate) fn parse(
    ctx: &SecretContext<'_>,
    json: &SecretJson,
    version: &str,
) -> Result<PgSecret, RotationError> {
    PgSecret::parse(json).map_err(|problem| ctx.malformed(version, problem))
}

/// Why `name` cannot be a PostgreSQL role name, if it cannot.
pub(crate) fn check_role_name(name: &str) -> Result<(), &'static str> {
    if name.len() > MAX_IDENTIFIER_BYTES {
        return Err("must be a PostgreSQL role name of at most 63 bytes");
    }
    if name.contains('\0') {
        return Err("must not contain a NUL character");
    }
    Ok(())
}

/// Single user: AWSPENDING must change AWSCURRENT's user on the same server and database.
pub fn check_single_user(current: &PgSecret, pending: &PgSecret) -> Result<(), PgError> {
    same_target(current, pending)?;
    if current.username != pending.username {
        return Err(PgError::UsernameChanged);
    }
    Ok(())
}

/// Alternating users: AWSPENDING's user must be AWSCURRENT's `_clone` partner on the same server
/// and database.
pub fn check_alternating(current: &PgSecret, pending: &PgSecret) -> Result<(), PgError> {
    same_target(current, pending)?;
    match alternate_username(&current.username, MAX_IDENTIFIER_BYTES) {
        Some(alternate) if alternate == pending.username => Ok(()),
        _ => Err(PgError::NotAlternatePair),
    }
}

fn same_target(current: &PgSecret, pending: &PgSecret) -> Result<(), PgError> {
    match current.differs_from(pending) {
        Some(field) => Err(PgError::TargetMismatch {
            first: "AWSCURRENT",
            second: "AWSPENDING",
            field,
        }),
        None => Ok(()),
    }
}

/// Which user of an alternating pair is the original and which the `_clone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RolePair {
    /// The name without the suffix.
    pub original: String,
    /// `original` + `_clone`.
    pub clone: String,
}

impl RolePair {
    /// The pair formed by two checked alternate names (see [`check_alternating`]).
    pub fn of(current: &str, pending: &str) -> Self {
        let (original, clone) = if pending.len() > current.len() {
            (current, pending)
        } else {
            (pending, current)
        };
        Self {
            original: original.to_owned(),
            clone: clone.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rotor_core::SecretValue;

    fn secret(text: &str) -> Result<PgSecret, FieldError> {
        PgSecret::parse(&SecretJson::parse(&SecretValue::new(text)).unwrap())
    }

    fn app(username: &str, extra: &str) -> PgSecret {
        secret(&format!(
            r#"{{"engine":"postgres","host":"db","username":{username:?},"password":"pw"{extra}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn aws_format_defaults_port_and_database() {
        let parsed = app("app", "");
        assert_eq!((parsed.port, parsed.dbname.as_str()), (5432, "postgres"));
        let parsed = app(
            "app",
            r#","port":"6543","dbname":"shop","engine":"aurora-postgresql""#,
        );
        assert_eq!((parsed.port, parsed.dbname.as_str()), (6543, "shop"));
    }

    #[test]
    fn role_names_over_63_bytes_or_with_nul_are_refused() {
        assert!(
            secret(&format!(
                r#"{{"engine":"postgres","host":"db","username":"{}","password":"pw"}}"#,
                "a".repeat(63)
            ))
            .is_ok()
        );
        let long = secret(&format!(
            r#"{{"engine":"postgres","host":"db","username":"{}","password":"pw"}}"#,
            "é".repeat(32)
        ));
        assert!(matches!(long, Err(FieldError::Invalid { ref field, .. }) if field == "username"));
        let nul = secret(r#"{"engine":"postgres","host":"db","username":"a\u0000b","password":"pw"}"#);
        assert!(nul.is_err());
    }

    #[test]
    fn single_user_requires_same_user_and_target() {
        let current = app("app", "");
        assert!(check_single_user(&current, &app("app", "")).is_ok());
        assert!(matches!(
            check_single_user(&current, &app("other", "")),
            Err(PgError::UsernameChanged)
        ));
        assert!(matches!(
            check_single_user(&current, &app("app", r#","dbname":"x""#)),
            Err(PgError::TargetMismatch { field: "dbname", .. })
        ));
        assert!(matches!(
            check_single_user(&current, &app("app", r#","port":1"#)),
            Err(PgError::TargetMismatch { field: "port", .. })
        ));
    }

    #[test]
    fn alternating_requires_the_clone_partner() {
        assert!(check_alternating(&app("app", ""), &app("app_clone", "")).is_ok());
        assert!(check_alternating(&app("app_clone", ""), &app("app", "")).is_ok());
        assert!(matches!(
            check_alternating(&app("app", ""), &app("app", "")),
            Err(PgError::NotAlternatePair)
        ));
        assert!(matches!(
            check_alternating(&app("app", ""), &app("postgres", "")),
            Err(PgError::NotAlternatePair)
        ));
    }

    #[test]
    fn role_pair_knows_which_is_the_original() {
        let pair = RolePair::of("app_clone", "app");
        assert_eq!(
            (pair.original.as_str(), pair.clone.as_str()),
            ("app", "app_clone")
        );
        assert_eq!(RolePair::of("app", "app_clone"), pair);
    }
}
