//! # rotor-redshift
//!
//! Amazon Redshift rotators for AWS Secrets Manager, compatible with the secrets AWS's own
//! Redshift rotation functions use (`SecretsManagerRedshiftRotationSingleUser` and
//! `…MultiUser`), and safer than them.
//!
//! Redshift speaks PostgreSQL's wire protocol, so this crate has no driver code of its own: its
//! sessions are rotor-postgres's [`Session`](rotor_postgres::Session) (tokio-postgres over
//! rustls, every statement through the kit's guard), opened for the [`Redshift`] engine through
//! [`PgWire`](rotor_postgres::PgWire). What is Redshift's is here: the secret format, the
//! session settings, the md5 password statements and how the clone is made.
//!
//! | | AWS's functions | rotor-redshift |
//! |---|---|---|
//! | new password on the wire | plaintext in `ALTER USER … PASSWORD '…'` | `'md5' ‖ md5(password ‖ user name)`, computed in the function |
//! | TLS | whatever libpq's default gives | verify-full; plaintext only with `"ssl": false` or `ROTOR_TLS=disable` |
//! | failed logins per healthy rotation | 1–2 (the "is pending already set?" probe) | 0 |
//! | existing `_clone` user | its password is reset, whoever owns it | changed only when this secret already holds its working credential |
//! | timeouts | 5 s connect only | connect and `statement_timeout` bounded by the Lambda deadline |
//!
//! Two rotators, one Lambda binary each: [`SingleUser`] (`redshift-single-user`) and
//! [`AlternatingUsers`] (`redshift-multi-user`), rotor-core's strategies with Redshift's
//! statements ([`RsOwnPassword`], [`RsAlternatePassword`]).
//!
//! ## Secret format
//!
//! AWS's: `engine` (must be `redshift`; anything else is refused before anything is created),
//! `host`, `port` (default 5439), `username`, `password`, `dbname` (default `dev`), `masterarn`
//! (alternating users), `ssl`, plus rotor's `ssl_ca`. Unknown keys are preserved. The default
//! `EXCLUDE_CHARACTERS` is AWS's Redshift one ([`REDSHIFT_EXCLUDE_CHARACTERS`]). Redshift wants
//! an upper-case letter, a lower-case letter and a digit in a plaintext password; the md5 form
//! is not checked, but keep `EXCLUDE_UPPERCASE`, `EXCLUDE_LOWERCASE` and `EXCLUDE_NUMBERS`
//! unset, as AWS's functions do not offer them. User names are salted into the md5 hash as the
//! secret spells them: Redshift folds identifiers to lower case, so use lower-case user names.
//!
//! ## Redshift-managed admin secrets
//!
//! The master secret may be the admin secret Redshift manages, which holds only `username` and
//! `password`: `redshift-multi-user` completes it from the Redshift API, as AWS's function does,
//! through rotor-core's Redshift port ([`rotor_core::redshift`]) and [`AwsRedshift`] (built on
//! first use, on the Secrets Manager client's SDK configuration):
//!
//! - tagged `aws:redshift-serverless:namespacearn` (looked for first; keys in any case):
//!   ListNamespaces for the namespace of exactly that ARN, then ListWorkgroups for its workgroup,
//!   whose endpoint address and port are used;
//! - tagged `aws:redshift:primaryclusterarn`: DescribeClusters for the identifier the cluster's
//!   ARN ends in, and its `Endpoint`.
//!
//! The engine is `redshift`. Unlike AWS's function, every page of both lists is read (not the
//! first 100), and nothing is guessed: a tag that is not an ARN of its kind or is over 256
//! characters (`MasterRedshiftTagInvalid`), no such cluster or namespace, a namespace with no
//! workgroup or with two, and access denied (`RedshiftAccessDenied`: the role needs
//! `redshift:DescribeClusters`, `redshift-serverless:ListNamespaces` and
//! `redshift-serverless:ListWorkgroups`) are permanent errors; no endpoint yet (a cluster or
//! workgroup still being created) and throttling are transient. The completion is never written
//! back to the managed secret. Redshift has no replicas or reader endpoints, so the child must
//! name the master's own host and port (else `TargetMismatch`); RDS is never asked. A master
//! secret that names its host is used as it is.
//!
//! ## Alternating users: what the clone gets
//!
//! As the master (a superuser, as Redshift's admin user is), in one transaction, on the first
//! rotation:
//!
//! - `CREATE USER name_clone PASSWORD 'md5…'`, with `CREATEDB` when the original has it (never
//!   `SUPERUSER`: a superuser original is refused);
//! - the original's **groups** (`pg_group`; `ALTER GROUP … ADD USER`);
//! - on Redshift, the original's **roles** (`svv_user_grants`; `GRANT ROLE … TO`);
//! - the **privileges** AWS's function copies: `CREATE` and `TEMP` on databases, `CREATE` and
//!   `USAGE` on schemas, `SELECT`, `INSERT`, `UPDATE`, `DELETE` and `REFERENCES` on tables,
//!   wherever the original holds them (directly, through a group, `PUBLIC` or ownership).
//!
//! Not copied: ownership, default privileges, privileges on views, functions and other objects,
//! `ALTER USER … SET` settings, and later changes to the original.
//!
//! ## Trust boundary
//!
//! The kit's checks come first: AWSPENDING and AWSCURRENT form the `_clone` pair on one
//! connection; the master secret names the child's host and port, and its user is not one of the
//! pair ([`MasterInPair`](rotor_core::database::PairMismatch::MasterInPair)); AWSCURRENT must log
//! in before the master acts. Then:
//!
//! - **an existing user is never taken over on a name alone.** Redshift records no link between
//!   two users that only an administrator of the original could create (PostgreSQL's
//!   membership), so the proof is possession: the pending user's password is set only when
//!   AWSPREVIOUS, on AWSPENDING's own connection, logs in as that user (the healthy case), or
//!   AWSPENDING already does (a repeat, which changes nothing). Otherwise
//!   [`NotOurAlternate`](rotor_core::database::DatabaseError::NotOurAlternate).
//! - **no code of the child's runs as the master.** Master sessions connect to the master
//!   secret's own database, start with `SET search_path TO pg_catalog`, and every catalog
//!   relation and function rotor uses is schema-qualified.
//! - the password never travels in plaintext, and no error, log line or `Debug` output holds a
//!   password, an md5 hash or a statement that carried one.

mod alternating_users;
mod aws;
mod engine;
mod error;
mod secret;
mod single_user;
mod sql;
mod users;

pub use alternating_users::RsAlternatePassword;
pub use aws::AwsRedshift;
pub use engine::{Redshift, RedshiftSession};
pub use error::{RedshiftError, RedshiftFailure};
pub use secret::{MAX_USERNAME_BYTES, REDSHIFT, REDSHIFT_EXCLUDE_CHARACTERS};
pub use single_user::RsOwnPassword;

/// Rotates the password of the user the secret names, logged in as that user
/// (`redshift-single-user`): rotor-core's [`SingleUser`](rotor_core::database::SingleUser) with
/// Redshift's statement.
///
/// setSecret logs in with AWSCURRENT first, so a healthy rotation never fails a login; if that is
/// refused, AWSPENDING, AWSPREVIOUS and recent versions follow (the kit's order). The new
/// password is sent as its md5 hash. testSecret logs in with AWSPENDING and checks
/// `session_user`.
pub type SingleUser = rotor_core::database::SingleUser<RsOwnPassword>;

/// Rotates between two users, `name` and `name_clone`, with the master secret named by
/// `masterarn` (`redshift-multi-user`): rotor-core's
/// [`AlternatingUsers`](rotor_core::database::AlternatingUsers) with Redshift's statements.
///
/// The kit checks the pair and the master secret, proves that AWSCURRENT logs in and logs in as
/// the master; then, as the master, the clone is created on the first rotation with the
/// original's memberships and privileges (see the crate documentation), and later rotations set
/// the pending user's password once this secret proves it holds that user's credential.
pub type AlternatingUsers = rotor_core::database::AlternatingUsers<RsAlternatePassword>;

#[cfg(test)]
mod tests {
    use rotor_core::Rotator;

    #[test]
    fn rotators_are_named_like_their_functions() {
        assert_eq!(super::SingleUser::new().name(), "redshift-single-user");
        assert_eq!(super::AlternatingUsers::new().name(), "redshift-multi-user");
        assert_eq!(super::SingleUser::new().default_exclude_characters(), "/@\"'\\:");
    }
}
