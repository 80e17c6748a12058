//! AWS's MySQL/MariaDB secret format: the engines, defaults and user-name rule that rotor-core's
//! [`DatabaseSecret`](rotor_core::database::DatabaseSecret) is parsed with. The pair checks that
//! run before any connection is made are rotor-core's
//! ([`rotor_core::database::check_single_user`] and [`rotor_core::database::check_alternating`]).

use rotor_core::database::{EngineFamily, UsernameLimit};

/// The engines and port AWS's MySQL and MariaDB rotators accept and default to, and the user-name rule.
/// There is no default database: without `dbname` the session has none selected, as with AWS's functions.
pub const MYSQL: EngineFamily = EngineFamily {
    engines: &["mysql", "aurora-mysql", "mariadb"],
    default_port: 3306,
    default_dbname: None,
    max_username: UsernameLimit::characters(MAX_USERNAME_CHARS),
    username_rule: "must be a user name of at most 80 characters",
};

/// The longest user name any supported server stores (MariaDB: 80 characters). The server's own limit is
/// checked once its flavour is known.
const MAX_USERNAME_CHARS: usize = 80;

#[cfg(test)]
mod tests {
    use super::*;
    use rotor_core::database::{DatabaseSecret, TlsMode};
    use rotor_core::{FieldError, SecretJson, SecretValue};

    fn secret(text: &str) -> Result<DatabaseSecret, FieldError> {
        DatabaseSecret::parse(&SecretJson::parse(&SecretValue::new(text)).unwrap(), &MYSQL)
    }

    fn app(username: &str, extra: &str) -> DatabaseSecret {
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
        assert!(matches!(
            secret(r#"{"engine":"mariadb","host":"db","username":"a\u0000b","password":"pw"}"#),
            Err(FieldError::Invalid { ref field, .. }) if field == "username"
        ));
        assert!(matches!(
            secret(r#"{"engine":"mariadb","host":"db","username":"app"}"#),
            Err(FieldError::Missing(ref field)) if field == "password"
        ));
    }
}
