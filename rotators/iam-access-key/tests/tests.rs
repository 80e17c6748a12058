//! rotor-iam-access-key's tests: one binary, one link.
#![expect(unreachable_pub, reason = "test modules are private to this binary")]
#![expect(clippy::unwrap_used, reason = "test code fails loudly")]

mod iam_access_key {
    pub mod conformance;
    pub mod in_memory;
    pub mod moto;
    pub mod support;
}
