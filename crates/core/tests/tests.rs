//! rotor-core's integration tests: one binary, one link.
#![expect(unreachable_pub, reason = "test modules are private to this binary")]
#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

mod core {
    pub mod aws_adapter;
    pub mod differential;
    pub mod engine_kit;
    pub mod finish;
    pub mod finish_hook;
    pub mod notify;
    pub mod preamble;
    pub mod rds;
    pub mod redaction;
    pub mod redshift;
    pub mod steps;
    pub mod support;
}
