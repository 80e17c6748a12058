//! AWS's PostgreSQL secret format: the engines, defaults and role-name rule that rotor-core's
//! [`DatabaseSecret`] is parsed with. The pair checks that run before any connection is made
//! are rotor-core's ([`rotor_core::database::check_single_user`] and
//! [`rotor_core::database::check_alternating`]).

use rotor_core::database::{EngineFamily, UsernameLimit};

/// AWS's PostgreSQL default for `EXCLUDE_CHARACTERS`: the generic one plus `:`, which would
/// break a `.pgpass` line.
pub const POSTGRES_EXCLUDE_CHARACTERS: &str = ":/@\"'\\";

/// The database when the secret names none, as with AWS's PostgreSQL rotators.
const DEFAULT_DBNAME: &str = "postgres";

/// The engines, port and database AWS's PostgreSQL rotators accept and default to, and the
/// PostgreSQL role-name rule.
pub const POSTGRES: EngineFamily = EngineFamily {
    engines: &["postgres", "aurora-postgresql"],
    default_port: 5432,
    default_dbname: Some(DEFAULT_DBNAME),
    max_username: UsernameLimit::bytes(MAX_IDENTIFIER_BYTES),
    username_rule: "must be a PostgreSQL role name of at most 63 bytes",
};

/// PostgreSQL's identifier limit (`NAMEDATALEN - 1`). The server silently truncates longer names,
/// which would make a rotation change a different role than the secret names, so they are refused.
pub const MAX_IDENTIFIER_BYTES: usize = 63;

#[cfg(test)]
mod tests {
    use super::*;
    use rotor_core::database::DatabaseSecret;
    use rotor_core::{FieldError, SecretJson, SecretValue};

    fn secret(text: &str) -> Result<DatabaseSecret, FieldError> {
        DatabaseSecret::parse(&SecretJson::parse(&SecretValue::new(text)).unwrap(), &POSTGRES)
    }

    fn app(username: &str, extra: &str) -> DatabaseSecret {
        secret(&format!(
            r#"{{"engine":"postgres","host":"db","username":{username:?},"password":"pw"{extra}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn aws_format_defaults_port_and_database() {
        let parsed = app("app", "");
        assert_eq!((parsed.port, parsed.dbname.as_deref()), (5432, Some("postgres")));
        let parsed = app(
            "app",
            r#","port":"6543","dbname":"shop","engine":"aurora-postgresql""#,
        );
        assert_eq!((parsed.port, parsed.dbname.as_deref()), (6543, Some("shop")));
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
        assert!(matches!(nul, Err(FieldError::Invalid { ref field, .. }) if field == "username"));
    }
}
