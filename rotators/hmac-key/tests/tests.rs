//! rotor-hmac-key's tests: one binary, one link.
#![allow(unreachable_pub, reason = "test modules are private to this binary")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code fails loudly"
)]

mod hmac_key {
    pub mod conformance;
    pub mod in_memory;
    pub mod moto;
    pub mod support;
}
