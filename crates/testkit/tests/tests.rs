//! rotor-testkit's integration tests, one binary: each launcher against the real server it starts.
#![allow(unreachable_pub, reason = "test modules are private to this binary")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code fails loudly"
)]

mod testkit {
    pub mod cleanup;
    pub mod mariadb;
    pub mod moto;
    pub mod postgres;
    pub mod redaction;
    pub mod support;
}
