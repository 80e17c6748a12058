//! # rotor-postgres
//!
//! PostgreSQL rotators for AWS Secrets Manager, compatible with the secrets AWS's own
//! PostgreSQL rotation functions use, and safer than them:
//!
//! | | AWS's functions | rotor-postgres |
//! |---|---|---|
//! | new password on the wire | plaintext in `ALTER USER … PASSWORD '…'` (lands in `log_statement` logs) | a verifier computed on the client, in the format `password_encryption` asks for (SCRAM-SHA-256, or md5 on a server set to md5); the plaintext never leaves the function |
//! | TLS | tried, then silently retried in plaintext | verify-full (system roots + optional CA bundle); plaintext only with `"ssl": false` or `ROTOR_TLS=disable` |
//! | failed logins per healthy rotation | 1–2 (the "is pending already set?" probe) | 0 |
//! | lost password after a cancelled rotation | permanent failure | recovered from recent versions |
//! | timeouts | 5 s connect only | connect, `statement_timeout` and `lock_timeout` all bounded by the Lambda deadline |
//! | errors | swallowed, one generic message | typed and classified (auth failure / transient / permanent), never holding a secret |
//!
//! Two rotators, one Lambda binary each:
//!
//! - [`SingleUser`] (`postgres-single-user`): the user changes its own password. setSecret logs
//!   in with AWSCURRENT first; only if that is refused does it try AWSPENDING (already set →
//!   nothing to do), then AWSPREVIOUS, then recent unlabelled versions.
//! - [`AlternatingUsers`] (`postgres-multi-user`): the master user named by `masterarn` sets
//!   the password of whichever of `name` / `name_clone` applications are not using, so there is
//!   no window in which the stored credential does not work.
//!
//! ## Secret format
//!
//! AWS's: `engine` (`postgres` or `aurora-postgresql`), `host`, `port` (number or string,
//! default 5432), `username`, `password`, `dbname` (default `postgres`), `masterarn`
//! (alternating users), `ssl` (bool or `"true"`/`"false"`), plus `ssl_ca` (a PEM path or inline
//! PEM of extra trusted CAs). Unknown keys are preserved. Every version is validated before any
//! connection: the engine, a role name of at most 63 bytes, and that AWSPENDING and AWSCURRENT
//! agree on host, port and database and name the same user (single user) or the `_clone` pair
//! (alternating users). The master secret must name the child's host and port.
//!
//! The default `EXCLUDE_CHARACTERS` is AWS's PostgreSQL one ([`POSTGRES_EXCLUDE_CHARACTERS`]).
//! Alternating users honour `USERNAME_CHARACTER_LIMIT` (AWS's variable of the MySQL functions)
//! below PostgreSQL's 63 bytes, and refuse an AWSCURRENT without `masterarn` at createSecret.
//!
//! ## Built on rotor-core's engine kit
//!
//! [`Postgres`] is the engine (driver, SQLSTATE classification, `session_user` check); the two
//! rotators are rotor-core's strategies with PostgreSQL's statements ([`PgOwnPassword`],
//! [`PgAlternatePassword`]). Which credential logs in, the master's checks, the deadline, fault
//! points and the errors ([`PgError`], named `Postgres…`) are the kit's, shared with every other
//! engine.
//!
//! ## Password format
//!
//! rotor reads `password_encryption` in the session that changes the password (the user's own
//! for single user, the master's for alternating users) and sends a verifier of that kind:
//! SCRAM-SHA-256 everywhere, except on a server (or for a role or database) set to `md5`, where
//! it sends `md5` + hex(md5(password ‖ role name)), so clients that only speak md5 keep working.
//! That is what a plaintext `ALTER ROLE … PASSWORD` would have stored, without the plaintext.
//!
//! ## What the master needs
//!
//! The master does not need to be a superuser; an RDS or Aurora master (`CREATEROLE CREATEDB`,
//! member of `rds_superuser`) is enough for roles it created itself. Exactly:
//!
//! - **`CREATEROLE`**, to create the clone and set passwords. The clone copies the original's
//!   attributes, so the master must be allowed to give them: from PostgreSQL 16 it must hold
//!   `CREATEDB`, `REPLICATION` or `BYPASSRLS` itself to copy them; before 16, `REPLICATION` and
//!   `BYPASSRLS` need a superuser. A superuser original cannot be cloned by a non-superuser.
//! - **PostgreSQL 16 and later: `ADMIN OPTION` on the original and on every role the original is
//!   directly a member of** (`GRANT name TO name_clone` and the copied memberships need it), and
//!   on the role whose password is set. A `CREATEROLE` role gets `ADMIN OPTION` on every role it
//!   creates, so this holds for roles the master created (the usual case on RDS), including the
//!   clone. For a role someone else created, a holder of `ADMIN OPTION` on it grants it without
//!   handing the master the role's privileges:
//!   `GRANT app TO master WITH ADMIN OPTION, INHERIT FALSE, SET FALSE` (likewise for the groups
//!   of `app`, and for an existing `app_clone`). Up to PostgreSQL 15, `CREATEROLE` alone manages
//!   every role that is not a superuser.
//! - the right to set every parameter the original has a role-level setting for (a
//!   superuser-only parameter such as `log_statement` needs `GRANT SET ON PARAMETER`).
//!
//! These are checked inside the rotation's transaction before the first change, and a missing
//! one is [`PostgresFailure::MasterLacksPrivilege`] naming the role and what is needed. A refusal the
//! checks do not foresee fails the same transaction, which rolls back: a clone is never left
//! half made.
//!
//! ## Alternating users: what the clone gets, and what it does not
//!
//! On the first rotation the clone (`name_clone`) does not exist. As the master, in one
//! transaction, rotor creates it with:
//!
//! - **login attributes** of the original: `SUPERUSER`, `NOINHERIT`, `CREATEROLE`, `CREATEDB`,
//!   `REPLICATION`, `BYPASSRLS`, `CONNECTION LIMIT` and `VALID UNTIL` (only the ones that differ
//!   from PostgreSQL's defaults are spelled out; the master needs the right to grant them);
//! - **membership in the original** (`GRANT name TO name_clone`): through it the clone holds
//!   every privilege granted to the original, and can act on objects it owns;
//! - **the original's direct role memberships**, with `ADMIN OPTION` where the original has it
//!   (and from PostgreSQL 16 on, the same `INHERIT` and `SET` options, so the clone never gets a
//!   membership it could use in more ways than the original);
//! - **role-level settings** (`ALTER ROLE name [IN DATABASE db] SET …`), list settings such as
//!   `search_path` element by element;
//! - a **marker comment** saying it is rotor's alternate of the original;
//! - the pending password, as a verifier inside `CREATE ROLE` (see [Password format](#password-format)).
//!
//! Not copied:
//!
//! - **ownership**. Objects the original owns stay the original's; the clone acts on them
//!   through membership (with `INHERIT`, or after `SET ROLE name`). Objects the clone creates
//!   are owned by the clone, and the original cannot use them unless granted. To keep one owner,
//!   have both users create objects as the original, e.g.
//!   `ALTER ROLE name_clone SET role = 'name'` (then new objects are owned by `name`).
//! - **default privileges** (`ALTER DEFAULT PRIVILEGES FOR ROLE name …`) do not apply to
//!   objects the clone creates.
//! - **privileges granted directly to the original** are not duplicated: they are inherited.
//!   With a `NOINHERIT` original, the clone is `NOINHERIT` too and must `SET ROLE`.
//! - **roles that are members of the original** stay members of the original only.
//! - **`pg_hba.conf` lines, RDS IAM settings or security labels** naming the original.
//! - **later changes** to the original: attributes, memberships and settings are copied once,
//!   when the clone is created.
//!
//! An existing role with the clone's name is adopted only if it is directly a member of the
//! original (rotor and AWS's function both grant that at creation, and only a holder of ADMIN on
//! the original can), and, when it is about to receive the pending password, holds no role
//! attribute and no direct membership the original lacks. Anything else is refused with
//! [`NotOurAlternate`](rotor_core::database::DatabaseError::NotOurAlternate), never taken over. Before the master acts at all, AWSCURRENT
//! must log in, so that only a holder of a working credential of the pair can have the master
//! create or reset a role.
//!
//! ## Trust boundary
//!
//! Application teams usually write their own secrets and own their databases; the platform team
//! owns the master credential. rotor treats every field of a child secret and every object in a
//! child's database as hostile. A writer of the child secret, or the owner of the child's
//! database or role, **can**:
//!
//! - have the rotation of that secret fail with a typed error;
//! - rotate the pair `name` / `name_clone` that AWSCURRENT already logs in as, and nothing else.
//!
//! They **cannot**:
//!
//! - **run code as the master.** Master sessions connect to the master secret's own database
//!   (roles are cluster-wide), never the child's; every session starts with
//!   `SET search_path = pg_catalog, pg_temp` and `SET ROLE NONE`, and every catalog relation,
//!   function, operator and type that rotor's queries use is schema-qualified. A planted
//!   `public.unnest(text[])` or an `ALTER DATABASE … SET search_path` changes nothing.
//! - **send a stored password somewhere else.** Each stored credential is tried only over its own
//!   recorded host, port, database and TLS settings, and only when those equal AWSPENDING's, and
//!   AWSPENDING must connect exactly as AWSCURRENT does (turning TLS off or adding a CA is
//!   [`TlsWeakened`](rotor_core::database::PairMismatch::TlsWeakened)). Pointing AWSCURRENT at a
//!   server of one's own collects one's own password only. The master's credentials go only to
//!   the master secret's own target, which must be the child's host and port; the child's
//!   `ssl: false` or `ssl_ca` never apply to the master.
//! - **make the master rotate itself**: a pair that includes the master's own user is refused
//!   with [`MasterInPair`](rotor_core::database::PairMismatch::MasterInPair) before any login.
//! - **have the master create or reset an arbitrary role**: AWSCURRENT must log in first, and an
//!   existing role named like the clone is taken over only when it is provably the alternate
//!   (see above).
//!
//! ## TLS and timeouts
//!
//! Connections require TLS and verify the chain and the host name against the system roots
//! plus the CA bundle from `ssl_ca` or `ROTOR_CA_BUNDLE`. A server that does not offer TLS, an
//! untrusted certificate or a wrong host name is an error, never a reason to retry in plaintext.
//! testSecret relies on that verified handshake, and checks that the server authenticated the
//! secret's user (`session_user`, so `ALTER ROLE … SET role` settings do not matter); the server's
//! own view (`pg_stat_ssl`, false behind a TLS-terminating pooler) is only logged. Every
//! connect and statement is bounded by the invocation deadline, and each session sets
//! `statement_timeout` and `lock_timeout` to the time left, so a blocked `ALTER ROLE` becomes a
//! typed, retryable error instead of a Lambda timeout.

mod alternating_users;
mod connect;
mod engine;
mod error;
mod identity;
mod privileges;
mod roles;
mod secret;
mod single_user;
pub mod sql;
mod tls;
mod verifier;

pub use alternating_users::{AlternatingUsers, PgAlternatePassword};
pub use connect::{PgWire, Session, connect};
pub use engine::Postgres;
pub use error::{PgError, PostgresFailure};
pub use roles::marker_comment;
pub use secret::{MAX_IDENTIFIER_BYTES, POSTGRES, POSTGRES_EXCLUDE_CHARACTERS};
pub use single_user::{PgOwnPassword, SingleUser};
pub use tls::client_config;

#[cfg(test)]
mod tests {
    use rotor_core::Rotator;

    #[test]
    fn rotators_are_named_like_their_functions() {
        assert_eq!(super::SingleUser::new().name(), "postgres-single-user");
        assert_eq!(super::AlternatingUsers::new().name(), "postgres-multi-user");
    }
}
