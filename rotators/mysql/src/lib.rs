//! # rotor-mysql
//!
//! MySQL, Aurora MySQL and MariaDB rotators for AWS Secrets Manager, compatible with the secrets AWS's own
//! MySQL and MariaDB rotation functions use, and safer than them:
//!
//! | | AWS's functions | rotor-mysql |
//! |---|---|---|
//! | new password on the wire (MariaDB) | plaintext `SET PASSWORD = PASSWORD('…')` / `GRANT … IDENTIFIED BY '…'`, verbatim in the general log | `'*' + HEX(SHA1(SHA1(pw)))` computed on the client; the plaintext never leaves the function |
//! | version detection | `version.startswith("8")` | parsed (`10.11.19-MariaDB`, `8.0.36`, `8.0.mysql_aurora.3.05.2`, MySQL 9) |
//! | account changed | `'user'@'%'` assumed | the exact `'user'@'host'` the login matched (`CURRENT_USER()`) |
//! | TLS | tried, then silently retried in plaintext | verified (system roots + optional CA bundle); plaintext only with `"ssl": false` or `ROTOR_TLS=disable` |
//! | failed logins per healthy rotation | 1–2 (the "is pending already set?" probe) | 0 |
//! | lost password after a cancelled rotation | permanent failure | recovered from recent versions |
//! | clone grants | text before `" TO "` re-run each time: `WITH GRANT OPTION`, default roles and host dropped, revokes never propagate | parsed and diffed per privilege: options, column privileges, roles, default roles, TLS requirement, limits and plugin mirrored; surplus revoked |
//! | zero-downtime single user | no | MySQL 8.0.14+ dual passwords ([`PasswordRetention::RetainCurrent`]) |
//! | errors | swallowed, one generic message | typed and classified, never holding a secret or a server message |
//!
//! Two rotators, one Lambda binary each, for the engines `mysql`, `aurora-mysql` and `mariadb`:
//!
//! - [`SingleUser`] (`mysql-single-user`): the user changes its own password. setSecret logs in with
//!   AWSCURRENT first; only if that is refused does it try AWSPENDING (already set → nothing to do), then
//!   AWSPREVIOUS, then recent unlabelled versions.
//! - [`AlternatingUsers`] (`mysql-multi-user`): the master user named by `masterarn` sets the password of
//!   whichever of `name` / `name_clone` applications are not using, so there is no window in which the
//!   stored credential does not work.
//!
//! ## Secret format
//!
//! AWS's: `engine`, `host`, `port` (number or string, default 3306), `username`, `password`, `dbname`
//! (optional, none by default), `masterarn` (alternating users), `ssl` (bool or `"true"`/`"false"`), plus
//! `ssl_ca` (a PEM path or inline PEM of extra trusted CAs). Unknown keys are preserved. Every version is
//! validated before any connection: the engine, a user name of at most 80 characters without NUL, and that
//! AWSPENDING and AWSCURRENT agree on host, port and database and name the same user (single user) or the
//! `_clone` pair (alternating users). The master secret must name the child's host and port.
//!
//! The default `EXCLUDE_CHARACTERS` is AWS's MySQL one, `/@"'\`. Alternating users honour
//! `USERNAME_CHARACTER_LIMIT` (AWS's variable) below the server's own limit: 32 characters on MySQL, 80 on
//! MariaDB (when unset, the flavour's limit applies, not AWS's 16).
//!
//! ## How the password reaches the server, and what the server logs
//!
//! | server, plugin | statement | in the general log |
//! |---|---|---|
//! | MariaDB, `mysql_native_password` (single user) | `SET PASSWORD FOR 'u'@'h' = '*<hash>'` | the hash |
//! | MariaDB, `mysql_native_password` (master) | `CREATE/ALTER USER 'u'@'h' IDENTIFIED BY PASSWORD '*<hash>' …` | the hash |
//! | MySQL, single user | `ALTER USER 'u'@'h' IDENTIFIED BY '<pw>' [REPLACE '<old>'] [RETAIN CURRENT PASSWORD]` | `<secret>`: MySQL rewrites password clauses in its general, slow and binary logs (not with `--log-raw`) |
//! | MySQL, `mysql_native_password` (master) | `… IDENTIFIED WITH mysql_native_password AS '*<hash>'` | the hash |
//! | MySQL, `caching_sha2_password` / `sha256_password` (master) | `… IDENTIFIED WITH <plugin> BY '<pw>'` | `<secret>` (server-side rewriting; the stored form is salted by the server, so no client-side form exists) |
//!
//! Other plugins (`ed25519`, `unix_socket`, PAM, …) are refused with [`MySqlError::UnsupportedPlugin`]: this
//! client cannot log in with them. The hash is kept out of rotor's logs and errors as well.
//!
//! ## Alternating users: what the clone gets
//!
//! The original is the source of truth. Every rotation, as the master, at the original's exact host:
//!
//! - the pending user gets the pending password in the original's plugin; a new clone is created with the
//!   original's `REQUIRE …` TLS requirement and `WITH MAX_…` limits, and an existing one is brought in line;
//! - the clone's grants are diffed against `SHOW GRANTS` of the original, per object and privilege, including
//!   column privileges, `WITH GRANT OPTION`, role grants `WITH ADMIN OPTION`, MySQL 8 partial revokes and the
//!   default roles (`SET DEFAULT ROLE`); grants the original no longer holds are revoked from the clone.
//!
//! Nothing is sent when nothing differs. An existing account with the clone's name is adopted only when it
//! is provably this secret's (see [`AlternatingUsers`]), or with `ROTOR_MYSQL_ADOPT_EXISTING_CLONE=true`.
//!
//! ## TLS and timeouts
//!
//! Connections require TLS and verify the chain and the host name against the system roots plus the CA
//! bundle from `ssl_ca` or `ROTOR_CA_BUNDLE`. A server that does not offer TLS, an untrusted certificate or a
//! wrong host name is an error, never a reason to retry in plaintext. testSecret also asks the server
//! (`Ssl_cipher`) whether the session is encrypted. Every connect and statement is bounded by the invocation
//! deadline.
//!
//! ## Not tested against a live server
//!
//! MySQL 8 cannot be installed on the machines this crate is tested on. Its statements (dual passwords,
//! `REPLACE`, `IDENTIFIED WITH … AS`, `SET DEFAULT ROLE … TO`, partial revokes, `mysql.default_roles`) are
//! unit-tested on the text they generate only; the MariaDB paths are tested end to end.

mod account;
mod account_options;
mod alternating_users;
mod clone_ownership;
mod connect;
mod error;
mod flavour;
mod grant_sync;
mod grant_syntax;
mod grants;
mod password_hash;
mod secret;
mod session_checks;
mod single_user;
mod tls;

pub use account::{Account, Quoting, identifier};
pub use account_options::{ResourceLimits, StoredAccount, TlsRequirement};
pub use alternating_users::{ADOPT_EXISTING_CLONE, AlternatingUsers, USERNAME_CHARACTER_LIMIT};
pub use error::MySqlError;
pub use flavour::{Flavour, ServerVersion, UnknownVersion};
pub use grants::{GrantSet, ObjectGrant, Privilege, RowError};
pub use password_hash::{AuthPlugin, identified_clause, native_hash_matches, native_password_hash};
pub use secret::{MAX_USERNAME_CHARS, MYSQL};
pub use single_user::{PasswordRetention, SingleUser};
