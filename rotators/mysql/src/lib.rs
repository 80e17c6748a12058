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
//! ## Built on rotor-core's engine kit
//!
//! [`MySql`] is the engine (driver, error-number classification, `CURRENT_USER()` check); the two rotators
//! are rotor-core's strategies with MySQL's statements ([`MySqlOwnPassword`], [`MySqlAlternatePassword`]).
//! Which credential logs in, the master's checks, the deadline, fault points and the errors ([`MySqlError`],
//! named `MySql…`) are the kit's, shared with every other engine.
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
//! Other plugins (`ed25519`, `unix_socket`, PAM, …) are refused with [`MySqlFailure::UnsupportedPlugin`]: this
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
//! Nothing is sent when nothing differs. An existing account (the clone, or the original when AWSPENDING
//! names it) receives the pending password only when it provably is this secret's (see [`AlternatingUsers`]);
//! `ROTOR_MYSQL_ADOPT_EXISTING_CLONE=true` waives the proof for an existing clone only. Each user of the pair
//! must have exactly one host row: `'app'@'10.1.%'` next to `'app'@'%'` is refused
//! ([`MySqlFailure::OtherHostRow`]) before anything changes, rather than ending in a password or a clone that
//! only the clients of one row can use.
//!
//! ## Trust boundary
//!
//! The platform team owns the master secret; application teams may write their own child secrets and own
//! their databases. Whatever a writer of the child secret puts in any version of it:
//!
//! - the master logs in only with the master secret's own host, port, database and TLS settings, which must
//!   name the child's server (rotor-core's `master_login`); the child's `dbname`, `ssl` and `ssl_ca` never
//!   reach the master's session;
//! - the master never rotates itself: a pair that includes the master's user is refused by name before the
//!   master logs in (`MasterInPair`), and again by the account the master session authenticated as
//!   ([`MySqlFailure::MasterInPair`]);
//! - the master acts only after AWSCURRENT has logged in as a user of the pair, and changes an existing
//!   account only if it accepts a password this secret already stores for it (AWSPENDING, AWSPREVIOUS or a
//!   recent version): naming an account in a version, AWSPREVIOUS included, proves nothing. So a writer can
//!   make the master change only accounts whose password the secret already holds, and create only the clone
//!   of the user AWSCURRENT logs in as, with that user's grants;
//! - a stored password is sent only to the connection it was recorded with, and only when that is
//!   AWSPENDING's (host, port, database, `ssl`, `ssl_ca`); AWSPENDING may not weaken TLS relative to
//!   AWSCURRENT. A version pointing at another server is ignored, not tried;
//! - every refusal is a typed, permanent error raised before any statement that changes an account, and no
//!   error carries a password, a hash or a server message.
//!
//! What a writer can still do: rotate the accounts the secret already proves it holds, and choose the server
//! and database AWSCURRENT names (the master secret must name the same server, so the master never follows a
//! child to another one).
//!
//! ## Locked accounts
//!
//! A login refused because the account is locked (`ACCOUNT LOCK`: MySQL 3118, MariaDB 4151) or blocked after
//! failed logins (MySQL 3955 for `FAILED_LOGIN_ATTEMPTS`, MariaDB 4150 for `max_password_errors`) is
//! [`MySqlFailure::AccountLocked`] (`MySqlAccountLocked`), a permanent error: the search through older
//! credentials stops at once instead of spending more failed attempts against the lockout policy.
//!
//! ## TLS and timeouts
//!
//! Connections require TLS and verify the chain and the host name against the system roots plus the CA
//! bundle from `ssl_ca` or `ROTOR_CA_BUNDLE`. A server that does not offer TLS, an untrusted certificate or a
//! wrong host name is an error, never a reason to retry in plaintext. testSecret relies on that verified
//! handshake rather than on the server's `Ssl_cipher`, which is empty behind a TLS-terminating proxy: no
//! check after a password change depends on what sits in between. Every connect and statement is bounded by
//! the invocation deadline.
//!
//! ## Not tested against a live server
//!
//! MySQL 8 cannot be installed on the machines this crate is tested on. Its statements (dual passwords,
//! `REPLACE`, `IDENTIFIED WITH … AS`, `SET DEFAULT ROLE … TO`, partial revokes, `mysql.default_roles`) are
//! unit-tested on the text they generate only; the MariaDB paths are tested end to end.

mod account;
mod account_options;
mod alternating_users;
mod connect;
#[cfg(test)]
mod debug_redaction;
mod engine;
mod error;
mod flavour;
mod grant_sync;
mod grant_syntax;
mod grants;
mod master_rights;
mod ownership;
mod pair_checks;
mod password_hash;
mod secret;
mod single_user;
mod tls;

pub use account::{Account, Quoting};
pub use alternating_users::{ADOPT_EXISTING_CLONE, AlternatingUsers, MySqlAlternatePassword};
pub use connect::Session;
pub use engine::MySql;
pub use error::{MySqlError, MySqlFailure};
pub use flavour::Flavour;
pub use password_hash::native_password_hash;
pub use secret::MYSQL;
pub use single_user::{MySqlOwnPassword, PasswordRetention, SingleUser};
