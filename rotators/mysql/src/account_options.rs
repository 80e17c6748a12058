//! The account-level settings an alternate mirrors from the original: authentication plugin, TLS requirement
//! (`REQUIRE …`) and resource limits (`WITH MAX_… n`), read from `mysql.user` by the master.
//!
//! AWS's function reads `ssl_type` from the first `mysql.user` row with the user name, whatever its host, and
//! creates the clone with the server's default plugin. Here the row is the exact `'user'@'host'`, and the
//! plugin is kept, so clients that can log in as one user can log in as the other.

use mysql_async::Row;
use secrecy::{ExposeSecret, SecretString};

use crate::account::{Account, Quoting};
use crate::connect::{Session, Statement, text};
use crate::error::MySqlError;
use crate::flavour::ServerVersion;
use crate::password_hash::{AuthPlugin, identified_clause, native_hash_matches};

/// `REQUIRE …`: what TLS an account must use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TlsRequirement {
    /// `REQUIRE NONE`.
    None,
    /// `REQUIRE SSL`.
    Ssl,
    /// `REQUIRE X509`: a valid client certificate.
    X509,
    /// `REQUIRE CIPHER … AND ISSUER … AND SUBJECT …` (empty parts left out).
    Specified {
        /// `ssl_cipher`.
        cipher: String,
        /// `x509_issuer`.
        issuer: String,
        /// `x509_subject`.
        subject: String,
    },
}

impl TlsRequirement {
    /// The clause, starting with `REQUIRE`.
    pub(crate) fn clause(&self, quoting: Quoting) -> String {
        match self {
            Self::None => "REQUIRE NONE".to_owned(),
            Self::Ssl => "REQUIRE SSL".to_owned(),
            Self::X509 => "REQUIRE X509".to_owned(),
            Self::Specified {
                cipher,
                issuer,
                subject,
            } => {
                let parts: Vec<String> = [("CIPHER", cipher), ("ISSUER", issuer), ("SUBJECT", subject)]
                    .into_iter()
                    .filter(|(_, value)| !value.is_empty())
                    .map(|(keyword, value)| format!("{keyword} {}", quoting.literal(value)))
                    .collect();
                if parts.is_empty() {
                    "REQUIRE SSL".to_owned()
                } else {
                    format!("REQUIRE {}", parts.join(" AND "))
                }
            }
        }
    }
}

/// `WITH MAX_QUERIES_PER_HOUR … MAX_UPDATES_PER_HOUR … MAX_CONNECTIONS_PER_HOUR … MAX_USER_CONNECTIONS …`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ResourceLimits {
    /// `max_questions`.
    pub queries_per_hour: i64,
    /// `max_updates`.
    pub updates_per_hour: i64,
    /// `max_connections`.
    pub connections_per_hour: i64,
    /// `max_user_connections` (MariaDB allows -1: no connection at all).
    pub user_connections: i64,
}

impl ResourceLimits {
    /// The clause, starting with `WITH`.
    pub(crate) fn clause(&self) -> String {
        format!(
            "WITH MAX_QUERIES_PER_HOUR {} MAX_UPDATES_PER_HOUR {} MAX_CONNECTIONS_PER_HOUR {} MAX_USER_CONNECTIONS {}",
            self.queries_per_hour, self.updates_per_hour, self.connections_per_hour, self.user_connections
        )
    }
}

/// One row of `mysql.user`, as far as rotation needs it. `Debug` leaves out the authentication string.
#[derive(Clone)]
pub(crate) struct StoredAccount {
    /// The account.
    pub account: Account,
    /// Its authentication plugin.
    pub plugin: AuthPlugin,
    /// `authentication_string`: for `mysql_native_password`, the password hash. Never logged.
    pub authentication: SecretString,
    /// Its TLS requirement.
    pub tls: TlsRequirement,
    /// Its resource limits.
    pub limits: ResourceLimits,
}

impl std::fmt::Debug for StoredAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredAccount")
            .field("account", &self.account)
            .field("plugin", &self.plugin)
            .field("authentication", &"[REDACTED]")
            .field("tls", &self.tls)
            .field("limits", &self.limits)
            .finish()
    }
}

impl StoredAccount {
    /// Whether `other` has the same plugin, TLS requirement and limits.
    pub(crate) fn same_options(&self, other: &StoredAccount) -> bool {
        self.plugin == other.plugin && self.tls == other.tls && self.limits == other.limits
    }

    /// Whether `other` has the same TLS requirement and limits (the settings `ALTER USER` can change without
    /// a password).
    pub(crate) fn same_requirements(&self, other: &StoredAccount) -> bool {
        self.tls == other.tls && self.limits == other.limits
    }

    fn from_row(row: &Row) -> Result<Self, MySqlError> {
        let field = |index| text(row, index).unwrap_or_default();
        let number = |index| -> Result<i64, MySqlError> {
            field(index)
                .trim()
                .parse()
                .map_err(|_| MySqlError::unexpected(OPERATION, "a resource limit is not a number"))
        };
        let tls = match field(3).to_ascii_uppercase().as_str() {
            "" => TlsRequirement::None,
            "ANY" => TlsRequirement::Ssl,
            "X509" => TlsRequirement::X509,
            _ => TlsRequirement::Specified {
                cipher: field(4),
                issuer: field(5),
                subject: field(6),
            },
        };
        Ok(Self {
            account: Account::new(field(0), field(11)),
            plugin: AuthPlugin::from_name(&field(1)),
            authentication: SecretString::from(field(2)),
            tls,
            limits: ResourceLimits {
                queries_per_hour: number(7)?,
                updates_per_hour: number(8)?,
                connections_per_hour: number(9)?,
                user_connections: number(10)?,
            },
        })
    }
}

const OPERATION: &str = "SELECT mysql.user";

/// Every `mysql.user` row of `users`, at any host. Needs `SELECT` on `mysql.user`.
pub(crate) async fn read_accounts(
    session: &mut Session,
    users: &[&str],
) -> Result<Vec<StoredAccount>, MySqlError> {
    let quoting = session.quoting();
    let names: Vec<String> = users.iter().map(|user| quoting.literal(user)).collect();
    let sql = format!(
        "SELECT User, plugin, authentication_string, ssl_type, ssl_cipher, x509_issuer, x509_subject, \
         max_questions, max_updates, max_connections, max_user_connections, Host \
         FROM mysql.user WHERE User IN ({})",
        names.join(", ")
    );
    let rows = session.query(OPERATION, &sql).await?;
    rows.iter().map(StoredAccount::from_row).collect()
}

/// `CREATE USER` / `ALTER USER` for the account that receives the pending password, with the original's
/// plugin, TLS requirement and limits. `None` when the account already has all of them.
pub(crate) fn account_statement(
    version: &ServerVersion,
    quoting: Quoting,
    target: &Account,
    existing: Option<&StoredAccount>,
    model: &StoredAccount,
    password: &SecretString,
) -> Result<Option<Statement>, MySqlError> {
    let identified = identified_clause(version, &model.plugin, password, quoting)?;
    let options = format!("{} {}", model.tls.clause(quoting), model.limits.clause());
    let account = quoting.account(target);
    let statement = match existing {
        None => Statement::new(
            "CREATE USER",
            format!("CREATE USER {account} {} {options}", identified.expose_secret()),
        ),
        Some(stored) => {
            let password_set = stored.plugin == AuthPlugin::Native
                && native_hash_matches(stored.authentication.expose_secret(), password);
            if password_set && stored.same_options(model) {
                return Ok(None);
            }
            Statement::new(
                "ALTER USER",
                format!("ALTER USER {account} {} {options}", identified.expose_secret()),
            )
        }
    };
    Ok(Some(statement))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_requirements_render_as_require_clauses() {
        let quoting = Quoting::DEFAULT;
        assert_eq!(TlsRequirement::None.clause(quoting), "REQUIRE NONE");
        assert_eq!(TlsRequirement::Ssl.clause(quoting), "REQUIRE SSL");
        assert_eq!(TlsRequirement::X509.clause(quoting), "REQUIRE X509");
        let specified = TlsRequirement::Specified {
            cipher: "ECDHE-RSA-AES256-GCM-SHA384".into(),
            issuer: String::new(),
            subject: "/CN=o'k".into(),
        };
        assert_eq!(
            specified.clause(quoting),
            "REQUIRE CIPHER 'ECDHE-RSA-AES256-GCM-SHA384' AND SUBJECT '/CN=o''k'"
        );
    }

    #[test]
    fn limits_render_as_a_with_clause() {
        let limits = ResourceLimits {
            user_connections: 5,
            ..ResourceLimits::default()
        };
        assert_eq!(
            limits.clause(),
            "WITH MAX_QUERIES_PER_HOUR 0 MAX_UPDATES_PER_HOUR 0 MAX_CONNECTIONS_PER_HOUR 0 MAX_USER_CONNECTIONS 5"
        );
    }
}
