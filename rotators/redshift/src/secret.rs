//! AWS's Redshift secret format: the engine, defaults and user-name rule that rotor-core's
//! [`DatabaseSecret`](rotor_core::database::DatabaseSecret) is parsed with.

use rotor_core::database::{EngineFamily, UsernameLimit};

/// AWS's Redshift default for `EXCLUDE_CHARACTERS`: `/`, `@`, `"`, `'`, `\` and `:`.
pub const REDSHIFT_EXCLUDE_CHARACTERS: &str = "/@\"'\\:";

/// Redshift's identifier limit: 127 bytes of UTF-8.
pub const MAX_USERNAME_BYTES: usize = 127;

/// The engine, port and database AWS's Redshift rotators accept and default to (`redshift`,
/// 5439, `dev`), and Redshift's user-name rule.
pub const REDSHIFT: EngineFamily = EngineFamily {
    engines: &["redshift"],
    default_port: 5439,
    default_dbname: Some("dev"),
    max_username: UsernameLimit::bytes(MAX_USERNAME_BYTES),
    username_rule: "must be an Amazon Redshift user name of at most 127 bytes",
};

#[cfg(test)]
mod tests {
    use super::*;
    use rotor_core::database::DatabaseSecret;
    use rotor_core::{FieldError, SecretJson, SecretValue};

    fn secret(text: &str) -> Result<DatabaseSecret, FieldError> {
        DatabaseSecret::parse(&SecretJson::parse(&SecretValue::new(text)).unwrap(), &REDSHIFT)
    }

    #[test]
    fn aws_format_defaults_port_5439_and_database_dev() {
        let parsed = secret(r#"{"engine":"redshift","host":"c","username":"app","password":"pw"}"#).unwrap();
        assert_eq!((parsed.port, parsed.dbname.as_deref()), (5439, Some("dev")));
        let parsed = secret(
            r#"{"engine":"redshift","host":"c","username":"app","password":"pw","port":"5440","dbname":"shop"}"#,
        )
        .unwrap();
        assert_eq!((parsed.port, parsed.dbname.as_deref()), (5440, Some("shop")));
    }

    #[test]
    fn other_engines_and_long_names_are_refused() {
        for engine in ["postgres", "aurora-postgresql", "mysql", ""] {
            let parsed = secret(&format!(
                r#"{{"engine":{engine:?},"host":"c","username":"app","password":"pw"}}"#
            ));
            assert!(
                matches!(parsed, Err(FieldError::Invalid { ref field, .. }) if field == "engine"),
                "{engine}: {parsed:?}"
            );
        }
        let long = secret(&format!(
            r#"{{"engine":"redshift","host":"c","username":"{}","password":"pw"}}"#,
            "a".repeat(128)
        ));
        assert!(matches!(long, Err(FieldError::Invalid { ref field, .. }) if field == "username"));
    }
}
