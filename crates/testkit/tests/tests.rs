//! rotor-testkit's integration tests, one binary: each launcher against the real server it starts.
#![expect(unreachable_pub, reason = "test modules are private to this binary")]
#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

mod testkit {
    pub mod cleanup;
    pub mod mariadb;
    pub mod moto;
    pub mod postgres;
    pub mod redaction;
    pub mod support;
}
