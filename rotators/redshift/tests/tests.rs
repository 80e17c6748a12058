//! rotor-redshift's integration tests, against throwaway PostgreSQL servers standing in for
//! Redshift on the wire (md5 `password_encryption`, md5 `pg_hba`): one binary, one link.
#![expect(unreachable_pub, reason = "test modules are private to this binary")]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code fails loudly"
)]

mod redshift {
    pub mod alternating;
    pub mod bad_input;
    pub mod calls;
    pub mod managed_master;
    pub mod single_user;
    pub mod support;
}
