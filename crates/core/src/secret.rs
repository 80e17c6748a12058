//! Secret values: redacted in `Debug`, parsed as JSON without losing unknown keys.

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

/// A secret string exactly as Secrets Manager stores it.
///
/// `Debug` prints `[REDACTED]`; there is no `Display`.
#[derive(Clone)]
pub struct SecretValue(SecretString);

impl SecretValue {
    /// Wraps a secret string.
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The plaintext, for the code that must send or compare it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl PartialEq for SecretValue {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for SecretValue {}

impl std::fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretValue([REDACTED])")
    }
}

/// What is wrong with one field of a secret. Names the field, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// The secret string is not JSON.
    #[error("the value is not valid JSON ({category} error at line {line}, column {column})")]
    NotJson {
        /// serde_json's error category: syntax, eof, data or io.
        category: &'static str,
        /// Line of the error.
        line: usize,
        /// Column of the error.
        column: usize,
    },
    /// The secret string is JSON but not an object.
    #[error("the value is not a JSON object")]
    NotAnObject,
    /// A required field is absent.
    #[error("field {0:?} is missing")]
    Missing(String),
    /// A field has the wrong JSON type or an unusable value.
    #[error("field {field:?} {expected}")]
    Invalid {
        /// The field.
        field: String,
        /// What was expected, e.g. "must be a string".
        expected: &'static str,
    },
}

/// A secret value parsed as a JSON object.
///
/// Keys the code does not know survive every rewrite in their original order and JSON type, so
/// a rotation never drops a user's `host`, `engine`, `proxy` or custom keys. `Debug` shows the key
/// names only.
#[derive(Clone, PartialEq)]
pub struct SecretJson {
    fields: Map<String, Value>,
}

impl SecretJson {
    /// Parses a secret string that must be a JSON object.
    pub fn parse(value: &SecretValue) -> Result<Self, FieldError> {
        let parsed: Value = serde_json::from_str(value.expose()).map_err(|error| FieldError::NotJson {
            category: match error.classify() {
                serde_json::error::Category::Io => "io",
                serde_json::error::Category::Syntax => "syntax",
                serde_json::error::Category::Data => "data",
                serde_json::error::Category::Eof => "eof",
            },
            line: error.line(),
            column: error.column(),
        })?;
        match parsed {
            Value::Object(fields) => Ok(Self { fields }),
            _ => Err(FieldError::NotAnObject),
        }
    }

    /// The serialised form, to store in Secrets Manager.
    pub fn to_secret_value(&self) -> SecretValue {
        SecretValue::new(Value::Object(self.fields.clone()).to_string())
    }

    /// A raw field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field)
    }

    /// Sets a field, keeping its position if it already exists.
    pub fn set(&mut self, field: &str, value: impl Into<Value>) {
        self.fields.insert(field.to_owned(), value.into());
    }

    /// The names of all fields, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.fields.keys().map(String::as_str)
    }

    /// A string field that must be present and non-empty.
    pub fn required_str(&self, field: &str) -> Result<&str, FieldError> {
        match self.optional_str(field)? {
            Some(text) if !text.is_empty() => Ok(text),
            Some(_) => Err(FieldError::Invalid {
                field: field.into(),
                expected: "must not be empty",
            }),
            None => Err(FieldError::Missing(field.into())),
        }
    }

    /// A string field that may be absent or `null`.
    pub fn optional_str(&self, field: &str) -> Result<Option<&str>, FieldError> {
        match self.fields.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(FieldError::Invalid {
                field: field.into(),
                expected: "must be a string",
            }),
        }
    }

    /// The `password` field as a secret string.
    pub fn password(&self) -> Result<SecretString, FieldError> {
        self.required_str("password")
            .map(|text| SecretString::from(text.to_owned()))
    }

    /// Replaces the `password` field.
    pub fn set_password(&mut self, password: &SecretString) {
        self.set("password", password.expose_secret());
    }

    /// A TCP port given as a number or a numeric string (AWS's format accepts both).
    pub fn port(&self, field: &str, default: u16) -> Result<u16, FieldError> {
        let invalid = || FieldError::Invalid {
            field: field.into(),
            expected: "must be a port number (1-65535)",
        };
        let port = match self.fields.get(field) {
            None | Some(Value::Null) => return Ok(default),
            Some(Value::Number(number)) => number.as_u64().and_then(|n| u16::try_from(n).ok()),
            Some(Value::String(text)) => text.trim().parse::<u16>().ok(),
            Some(_) => None,
        };
        port.filter(|port| *port != 0).ok_or_else(invalid)
    }

    /// A flag given as a JSON bool or the strings `"true"`/`"false"` (any case).
    pub fn flag(&self, field: &str) -> Result<Option<bool>, FieldError> {
        match self.fields.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(flag)) => Ok(Some(*flag)),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(text)) if text.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(_) => Err(FieldError::Invalid {
                field: field.into(),
                expected: "must be true or false",
            }),
        }
    }
}

impl std::fmt::Debug for SecretJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretJson")
            .field("keys", &self.fields.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> SecretJson {
        SecretJson::parse(&SecretValue::new(text)).unwrap()
    }

    #[test]
    fn rewriting_the_password_keeps_unknown_keys_types_and_order() {
        let mut secret =
            json(r#"{"engine":"postgres","port":"5432","password":"old","proxy":{"a":[1,2]},"ssl":true}"#);
        secret.set_password(&SecretString::from("new"));
        assert_eq!(
            secret.to_secret_value().expose(),
            r#"{"engine":"postgres","port":"5432","password":"new","proxy":{"a":[1,2]},"ssl":true}"#
        );
    }

    #[test]
    fn debug_shows_keys_but_no_values() {
        let secret = json(r#"{"username":"app","password":"hunter2-secret"}"#);
        let printed = format!("{secret:?} {:?}", secret.to_secret_value());
        assert!(printed.contains("username"));
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("app\""));
    }

    #[test]
    fn parse_errors_never_echo_the_value() {
        for bad in [
            "not json hunter2",
            "{\"password\": hunter2}",
            "[\"hunter2\"]",
            "\"hunter2\"",
        ] {
            let error = SecretJson::parse(&SecretValue::new(bad)).unwrap_err();
            assert!(!error.to_string().contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn ports_accept_numbers_and_numeric_strings_only() {
        assert_eq!(json(r#"{"port":5433}"#).port("port", 5432), Ok(5433));
        assert_eq!(json(r#"{"port":" 3307 "}"#).port("port", 3306), Ok(3307));
        assert_eq!(json(r#"{}"#).port("port", 5432), Ok(5432));
        for bad in [
            r#"{"port":0}"#,
            r#"{"port":70000}"#,
            r#"{"port":"x"}"#,
            r#"{"port":-1}"#,
            r#"{"port":[1]}"#,
        ] {
            assert!(json(bad).port("port", 5432).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_accept_bools_and_true_false_strings() {
        assert_eq!(json(r#"{"ssl":false}"#).flag("ssl"), Ok(Some(false)));
        assert_eq!(json(r#"{"ssl":"TRUE"}"#).flag("ssl"), Ok(Some(true)));
        assert_eq!(json(r#"{}"#).flag("ssl"), Ok(None));
        assert!(json(r#"{"ssl":"maybe"}"#).flag("ssl").is_err());
    }

    #[test]
    fn required_strings_must_be_non_empty_strings() {
        let secret = json(r#"{"a":"","b":1,"c":"x"}"#);
        assert_eq!(
            secret.required_str("a"),
            Err(FieldError::Invalid {
                field: "a".into(),
                expected: "must not be empty"
            })
        );
        assert!(matches!(
            secret.required_str("b"),
            Err(FieldError::Invalid { .. })
        ));
        assert_eq!(
            secret.required_str("missing"),
            Err(FieldError::Missing("missing".into()))
        );
        assert_eq!(secret.required_str("c"), Ok("x"));
    }
}
