//! rotor-mysql's integration tests, against throwaway MariaDB servers: one binary, one link.
#![expect(unreachable_pub, reason = "test modules are private to this binary")]
#![expect(clippy::unwrap_used, clippy::panic, reason = "test code fails loudly")]

mod mysql {
    pub mod alternating;
    pub mod benchmark;
    pub mod fake_server;
    pub mod faults;
    pub mod hostile;
    pub mod lockout;
    pub mod ownership;
    pub mod single_user;
    pub mod support;
    pub mod tls;
    pub mod trust;
}
