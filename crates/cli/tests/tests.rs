//! rotor-cli's tests: the real `rotor` binary, driven as a user would. One binary, one link.
#![expect(unreachable_pub, reason = "test modules are private to this binary")]
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "test code fails loudly")]

mod cli {
    pub mod access;
    pub mod bad_input;
    pub mod bench;
    pub mod cancel;
    pub mod check;
    pub mod failures;
    pub mod fleet;
    pub mod local;
    pub mod moto;
    pub mod store_choice;
    pub mod support;
}
