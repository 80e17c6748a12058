//! One database credential in AWS's secret format, parsed and validated for an engine family.

use secrecy::SecretString;

use crate::context::{SecretContext, StepContext};
use crate::error::RotationError;
use crate::secret::{FieldError, SecretJson};

use super::username::UsernameLimit;

/// The environment variable that disables TLS for every secret (`disable`), as an explicit,
/// logged opt-out. Any other value keeps verification on.
pub const TLS_VARIABLE: &str = "ROTOR_TLS";
/// The environment variable naming an extra CA bundle: a PEM file path or inline PEM.
pub const CA_BUNDLE_VARIABLE: &str = "ROTOR_CA_BUNDLE";
/// The secret field naming an extra CA bundle: a PEM file path or inline PEM.
pub const CA_BUNDLE_FIELD: &str = "ssl_ca";

/// The engines one rotator accepts, their defaults, and the rule their user names follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineFamily {
    /// Accepted values of the `engine` field.
    pub engines: &'static [&'static str],
    /// The port when the secret has none.
    pub default_port: u16,
    /// The database when the secret has none.
    pub default_dbname: Option<&'static str>,
    /// The longest `username` any server of the engine stores. A NUL character is refused for
    /// every engine as well.
    pub max_username: UsernameLimit,
    /// [`max_username`](Self::max_username) in words that follow `field "username"`, for the
    /// error (e.g. "must be a user name of at most 80 characters").
    pub username_rule: &'static str,
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

/// One database credential in AWS's secret format (`engine`, `host`, `port`, `username`,
/// `password`, `dbname`, `masterarn`, `ssl`, plus rotor's `ssl_ca`), validated for an
/// [`EngineFamily`].
///
/// `Debug` redacts the password. Unknown keys are not represented here: rotations rewrite the
/// stored JSON, which keeps them.
#[derive(Debug, Clone)]
pub struct DatabaseSecret {
    /// `engine`.
    pub engine: String,
    /// `host`.
    pub host: String,
    /// `port` (number or numeric string in the JSON).
    pub port: u16,
    /// `username`, within the family's limit and without NUL.
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
        // As AWS's functions read it: a bool, or "true"/"false" in any case. Anything else can
        // only be a mistake, and the safe reading of a mistake is verified TLS, never plaintext.
        let ssl_off = match json.flag("ssl") {
            Ok(flag) => flag == Some(false),
            Err(_) => {
                tracing::warn!(
                    field = "ssl",
                    "the ssl field is neither a boolean nor \"true\"/\"false\": using verified TLS"
                );
                false
            }
        };
        let tls = if ssl_off || disabled_by_env {
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
        let secret = Self {
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
        };
        // Checked last, so a secret with a missing field reports that field first.
        let username_error = |expected| FieldError::Invalid {
            field: "username".into(),
            expected,
        };
        if !family.max_username.fits(&secret.username) {
            return Err(username_error(family.username_rule));
        }
        if secret.username.contains('\0') {
            return Err(username_error("must not contain a NUL character"));
        }
        Ok(secret)
    }

    /// This rotation's AWSPENDING value, parsed for `family`. A malformed value is a
    /// [`RotationError::MalformedSecret`] naming AWSPENDING.
    pub fn pending(ctx: &StepContext<'_>, family: &EngineFamily) -> Result<Self, RotationError> {
        Self::parse(ctx.pending(), family).map_err(|problem| ctx.malformed("AWSPENDING", problem))
    }

    /// The AWSCURRENT value (read at most once per invocation), parsed for `family`. A malformed
    /// value is a [`RotationError::MalformedSecret`] naming AWSCURRENT.
    pub async fn current(ctx: &SecretContext<'_>, family: &EngineFamily) -> Result<Self, RotationError> {
        Self::parse(ctx.current().await?, family).map_err(|problem| ctx.malformed("AWSCURRENT", problem))
    }

    /// Checks that `other` points at the same server: host (in any case) and port. Returns the
    /// first field that differs.
    pub fn same_server(&self, other: &DatabaseSecret) -> Result<(), &'static str> {
        if !self.host.eq_ignore_ascii_case(&other.host) {
            return Err("host");
        }
        if self.port != other.port {
            return Err("port");
        }
        Ok(())
    }

    /// Checks that `other` points at the same server and database: a rotation must never move a
    /// credential to another host. Returns the first field that differs.
    pub fn same_target(&self, other: &DatabaseSecret) -> Result<(), &'static str> {
        self.same_server(other)?;
        if self.dbname != other.dbname {
            return Err("dbname");
        }
        Ok(())
    }

    /// Checks that `other` connects exactly as this secret does: the same server and database
    /// ([`same_target`](Self::same_target)) over the same TLS decision and trusted CAs. Returns
    /// the first field that differs (`host`, `port`, `dbname`, `ssl` or `ssl_ca`).
    ///
    /// A stored credential is only ever sent over a connection that passes this check against
    /// the version being rotated, so a writer of one version cannot redirect another version's
    /// password to a server of their choosing or over a weaker transport.
    pub fn same_connection(&self, other: &DatabaseSecret) -> Result<(), &'static str> {
        self.same_target(other)?;
        match (&self.tls, &other.tls) {
            (TlsMode::Disabled, TlsMode::Disabled) => Ok(()),
            (TlsMode::VerifyFull { ca_bundle: mine }, TlsMode::VerifyFull { ca_bundle: theirs }) => {
                if mine == theirs {
                    Ok(())
                } else {
                    Err(CA_BUNDLE_FIELD)
                }
            }
            _ => Err("ssl"),
        }
    }

    /// Whether connecting as `other` would trust more than connecting as this secret: TLS
    /// turned off where this secret verifies it, or a CA bundle this secret does not trust.
    pub fn weaker_tls(&self, other: &DatabaseSecret) -> bool {
        match (&self.tls, &other.tls) {
            (TlsMode::VerifyFull { .. }, TlsMode::Disabled) => true,
            (TlsMode::VerifyFull { ca_bundle: mine }, TlsMode::VerifyFull { ca_bundle: theirs }) => {
                theirs.is_some() && theirs != mine
            }
            (TlsMode::Disabled, _) => false,
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::secret::SecretValue;

    pub(in crate::database) const POSTGRES: EngineFamily = EngineFamily {
        engines: &["postgres", "aurora-postgresql"],
        default_port: 5432,
        default_dbname: Some("postgres"),
        max_username: UsernameLimit::bytes(63),
        username_rule: "must be a role name of at most 63 bytes",
    };

    pub(in crate::database) fn json(text: &str) -> SecretJson {
        SecretJson::parse(&SecretValue::new(text)).unwrap()
    }

    fn parse(text: &str, env: &[(&str, &str)]) -> Result<DatabaseSecret, FieldError> {
        DatabaseSecret::parse_with_env(&json(text), &POSTGRES, |name| {
            env.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        })
    }

    /// A valid PostgreSQL secret for `username` with `extra` JSON members appended.
    pub(in crate::database) fn app(username: &str, extra: &str) -> DatabaseSecret {
        parse(
            &format!(r#"{{"engine":"postgres","host":"db","username":{username:?},"password":"pw"{extra}}}"#),
            &[],
        )
        .unwrap()
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
        for unclear in [r#""sometimes""#, "0", r#""no""#, r#"{"on":false}"#, "[]"] {
            assert_eq!(
                parse(&format!("{base},\"ssl\":{unclear}}}"), &[]).unwrap().tls,
                TlsMode::VerifyFull { ca_bundle: None },
                "an unclear ssl value {unclear} means verified TLS"
            );
        }
        assert_eq!(
            parse(&format!("{base},\"ssl\":\"TRUE\"}}"), &[]).unwrap().tls,
            TlsMode::VerifyFull { ca_bundle: None }
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
    fn an_unclear_ssl_value_is_logged_as_a_warning_without_its_value() {
        let capture = rotor_testkit::capture::LogCapture::start();
        let parsed = parse(
            r#"{"engine":"postgres","host":"db","username":"app","password":"pw","ssl":"requirez"}"#,
            &[],
        )
        .unwrap();
        let logged = capture.text();
        assert_eq!(parsed.tls, TlsMode::VerifyFull { ca_bundle: None });
        assert!(
            logged.contains("WARN") && logged.contains("using verified TLS"),
            "{logged}"
        );
        assert!(!logged.contains("requirez"), "{logged}");
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
    fn usernames_follow_the_family_rule_and_never_hold_nul() {
        let named = |username: &str| {
            parse(
                &format!(
                    r#"{{"engine":"postgres","host":"db","username":{},"password":"pw"}}"#,
                    serde_json::Value::from(username)
                ),
                &[],
            )
        };
        assert!(named(&"a".repeat(63)).is_ok());
        assert_eq!(
            named(&"a".repeat(64)).unwrap_err(),
            FieldError::Invalid {
                field: "username".into(),
                expected: "must be a role name of at most 63 bytes"
            }
        );
        assert_eq!(
            named("a\0b").unwrap_err(),
            FieldError::Invalid {
                field: "username".into(),
                expected: "must not contain a NUL character"
            }
        );
        assert_eq!(
            parse(
                &format!(
                    r#"{{"engine":"postgres","host":"db","username":"{}"}}"#,
                    "a".repeat(64)
                ),
                &[]
            )
            .unwrap_err(),
            FieldError::Missing("password".into()),
            "a missing field is reported before the username rule"
        );
    }

    #[test]
    fn same_target_compares_host_port_and_database() {
        let a = app("app", r#","host":"DB""#);
        let b = app("x", "");
        assert_eq!(a.same_target(&b), Ok(()));
        assert_eq!(a.same_target(&app("app", r#","host":"other""#)), Err("host"));
        assert_eq!(a.same_target(&app("app", r#","port":1"#)), Err("port"));
        assert_eq!(a.same_target(&app("app", r#","dbname":"x""#)), Err("dbname"));
        assert_eq!(
            a.same_server(&app("app", r#","dbname":"x""#)),
            Ok(()),
            "the server is host and port only"
        );
    }

    #[test]
    fn same_connection_also_compares_the_tls_decision_and_trusted_cas() {
        let verified = app("app", "");
        assert_eq!(verified.same_connection(&app("other", r#","host":"DB""#)), Ok(()));
        assert_eq!(verified.same_connection(&app("app", r#","port":1"#)), Err("port"));
        assert_eq!(
            verified.same_connection(&app("app", r#","ssl":false"#)),
            Err("ssl")
        );
        assert_eq!(
            verified.same_connection(&app("app", r#","ssl_ca":"/evil.pem""#)),
            Err("ssl_ca")
        );
        let plaintext = app("app", r#","ssl":false"#);
        assert_eq!(plaintext.same_connection(&app("x", r#","ssl":"false""#)), Ok(()));
        assert_eq!(plaintext.same_connection(&verified), Err("ssl"));
    }

    #[test]
    fn weaker_tls_is_plaintext_or_an_added_ca() {
        let verified = app("app", "");
        let with_ca = app("app", r#","ssl_ca":"/rds.pem""#);
        let plaintext = app("app", r#","ssl":false"#);
        assert!(verified.weaker_tls(&plaintext));
        assert!(
            verified.weaker_tls(&with_ca),
            "an added CA widens what is trusted"
        );
        assert!(with_ca.weaker_tls(&app("app", r#","ssl_ca":"/other.pem""#)));
        assert!(!with_ca.weaker_tls(&verified), "fewer trusted CAs is stricter");
        assert!(!with_ca.weaker_tls(&with_ca));
        assert!(!plaintext.weaker_tls(&verified));
        assert!(!plaintext.weaker_tls(&plaintext));
    }
}
