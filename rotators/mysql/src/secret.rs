//! AWS's MySQL/MariaDB secret format, and the checks that run before any connection is made.

use rotor_core::database::{DatabaseSecret, EngineFamily, TlsMode, alternate_username};
use rotor_core::{FieldError, SecretJson};
use secrecy::SecretString;

use crate::connect::Target;
use crate::error::MySqlError;

/// The engines and port AWS's MySQL and MariaDB rotators accept and default to. There is no default
/// database: without `dbname` the session has none selected, as with AWS's functions.
pub const MYSQL: EngineFamily = EngineFamily {
    engines: &["mysql", "aurora-mysql", "mariadb"],
    default_port: 3306,
    default_dbname: None,
};

/// The longest user name any supported server stores (MariaDB: 80 characters). The server's own limit is
/// checked once its flavour is known.
pub const MAX_USERNAME_CHARS: usize = 80;

/// One MySQL/MariaDB credential in AWS's secret format (`engine`, `host`, `port`, `username`, `password`,
/// `dbname`, `masterarn`, `ssl`, plus rotor's `ssl_ca`).
///
/// `Debug` redacts the password. Unknown keys are not represented here: rotations rewrite the stored JSON,
/// which keeps them.
#[derive(Debug, Clone)]
pub struct MySqlSecret {
    /// `engine`: `mysql`, `aurora-mysql` or `mariadb`.
    pub engine: String,
    /// `host`.
    pub host: String,
    /// `port`, 3306 by default.
    pub port: u16,
    /// `username`: at most 80 characters, without NUL.
    pub username: String,
    /// `password`.
    pub password: SecretString,
    /// `dbname`, none by default.
    pub dbname: Option<String>,
    /// `masterarn`, for alternating users.
    pub master_arn: Option<String>,
    /// Verified TLS unless the secret or the environment explicitly disables it.
    pub tls: TlsMode,
}

impl MySqlSecret {
    /// Parses and validates a secret. Errors name the field, never its value.
    pub fn parse(json: &SecretJson) -> Result<Self, FieldError> {
        let secret = DatabaseSecret::parse(json, &MYSQL)?;
        check_username(&secret.username).map_err(|expected| FieldError::Invalid {
            field: "username".into(),
            expected,
        })?;
        Ok(Self {
            engine: secret.engine,
            host: secret.host,
            port: secret.port,
            username: secret.username,
            password: secret.password,
            dbname: secret.dbname,
            master_arn: secret.master_arn,
            tls: secret.tls,
        })
    }

    /// Where this secret connects.
    pub(crate) fn target(&self) -> Target {
        Target {
            host: self.host.clone(),
            port: self.port,
            dbname: self.dbname.clone(),
            tls: self.tls.clone(),
        }
    }

    /// The first of `host`, `port` and `dbname` that differs from `other`'s.
    pub fn differs_from(&self, other: &MySqlSecret) -> Option<&'static str> {
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

/// Why `name` cannot be a user name on any supported server, if it cannot.
fn check_username(name: &str) -> Result<(), &'static str> {
    if name.chars().count() > MAX_USERNAME_CHARS {
        return Err("must be a user name of at most 80 characters");
    }
    if name.contains('\0') {
        return Err("must not contain a NUL character");
    }
    Ok(())
}

/// Single user: AWSPENDING must change AWSCURRENT's user on the same server and database.
pub fn check_single_user(current: &MySqlSecret, pending: &MySqlSecret) -> Result<(), MySqlError> {
    same_target(current, pending)?;
    if current.username != pending.username {
        return Err(MySqlError::UsernameChanged);
    }
    Ok(())
}

/// Alternating users: AWSPENDING's user must be AWSCURRENT's `_clone` partner on the same server and
/// database.
pub fn check_alternating(current: &MySqlSecret, pending: &MySqlSecret) -> Result<(), MySqlError> {
    same_target(current, pending)?;
    match alternate_username(&current.username, usize::MAX) {
        Some(alternate) if alternate == pending.username => Ok(()),
        _ => Err(MySqlError::NotAlternatePair),
    }
}

fn same_target(current: &MySqlSecret, pending: &MySqlSecret) -> Result<(), MySqlError> {
    match current.differs_from(pending) {
        Some(field) => Err(MySqlError::TargetMismatch {
            first: "AWSCURRENT",
            second: "AWSPENDING",
            field,
        }),
        None => Ok(()),
    }
}

/// Which user of an alternating pair is the original and which the `_clone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPair {
    /// The name without the suffix: the source of the grants.
    pub original: String,
    /// `original` + `_clone`: the mirror.
    pub clone: String,
}

impl UserPair {
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

    fn secret(text: &str) -> Result<MySqlSecret, FieldError> {
        MySqlSecret::parse(&SecretJson::parse(&SecretValue::new(text)).unwrap())
    }

    fn app(username: &str, extra: &str) -> MySqlSecret {
        secret(&format!(
            r#"{{"engine":"mariadb","host":"db","username":{username:?},"password":"pw"{extra}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn aws_format_defaults_port_and_no_database() {
        let parsed = app("app", "");
        assert_eq!((parsed.port, parsed.dbname.as_deref()), (3306, None));
        assert_eq!(
            parsed.tls,
            TlsMode::VerifyFull { ca_bundle: None },
            "TLS is verified by default"
        );
        let parsed = app(
            "app",
            r#","port":"3307","dbname":"shop","engine":"aurora-mysql","ssl":false"#,
        );
        assert_eq!(
            (parsed.port, parsed.dbname.as_deref(), parsed.tls),
            (3307, Some("shop"), TlsMode::Disabled)
        );
        assert!(app("app", r#","engine":"mysql""#).engine == "mysql");
    }

    #[test]
    fn other_engines_long_names_and_nul_are_refused() {
        let postgres = secret(r#"{"engine":"postgres","host":"db","username":"app","password":"pw"}"#);
        assert!(matches!(postgres, Err(FieldError::Invalid { ref field, .. }) if field == "engine"));
        let name = |length| {
            format!(
                r#"{{"engine":"mariadb","host":"db","username":"{}","password":"pw"}}"#,
                "é".repeat(length)
            )
        };
        assert!(secret(&name(80)).is_ok(), "the limit counts characters");
        assert!(
            matches!(secret(&name(81)), Err(FieldError::Invalid { ref field, .. }) if field == "username")
        );
        assert!(secret(r#"{"engine":"mariadb","host":"db","username":"a\u0000b","password":"pw"}"#).is_err());
        assert!(matches!(
            secret(r#"{"engine":"mariadb","host":"db","username":"app"}"#),
            Err(FieldError::Missing(ref field)) if field == "password"
        ));
    }

    #[test]
    fn single_user_requires_same_user_and_target() {
        let current = app("app", "");
        assert!(check_single_user(&current, &app("app", "")).is_ok());
        assert!(matches!(
            check_single_user(&current, &app("other", "")),
            Err(MySqlError::UsernameChanged)
        ));
        assert!(matches!(
            check_single_user(&current, &app("app", r#","dbname":"x""#)),
            Err(MySqlError::TargetMismatch { field: "dbname", .. })
        ));
        assert!(matches!(
            check_single_user(&current, &app("app", r#","host":"elsewhere""#)),
            Err(MySqlError::TargetMismatch { field: "host", .. })
        ));
    }

    #[test]
    fn alternating_requires_the_clone_partner() {
        assert!(check_alternating(&app("app", ""), &app("app_clone", "")).is_ok());
        assert!(check_alternating(&app("app_clone", ""), &app("app", "")).is_ok());
        assert!(matches!(
            check_alternating(&app("app", ""), &app("app", "")),
            Err(MySqlError::NotAlternatePair)
        ));
        assert!(matches!(
            check_alternating(&app("app", ""), &app("root", "")),
            Err(MySqlError::NotAlternatePair)
        ));
        assert_eq!(UserPair::of("app_clone", "app"), UserPair::of("app", "app_clone"));
        assert_eq!(UserPair::of("app", "app_clone").original, "app");
    }
}
