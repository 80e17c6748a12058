//! rotor-postgres's integration tests against throwaway PostgreSQL servers: one binary, one link.
#![expect(unreachable_pub, reason = "test modules are private to this binary")]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code fails loudly"
)]

mod postgres {
    pub mod alternating;
    pub mod conformance;
    pub mod crash;
    pub mod hostile;
    pub mod logs;
    pub mod md5;
    pub mod rds;
    pub mod rds_master;
    pub mod single_user;
    pub mod support;
    pub mod tls;
    pub mod trust_boundary;
    pub mod versions;
}
