//! rotor's end-to-end tests: the release `bootstrap` binaries, built as they are deployed
//! (`scripts/build-lambdas`), run behind a local Lambda Runtime API and driven through the four
//! steps exactly as Secrets Manager drives them, against moto and throwaway databases.
//!
//! One binary, one link. `e2e::bench` is not a test: `scripts/bench-lambda` runs it.
#![expect(unreachable_pub, reason = "test modules are private to this binary")]
#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code fails loudly"
)]

mod e2e {
    pub mod bench;
    pub mod bootstrap;
    pub mod configuration;
    pub mod deployed;
    pub mod hmac_key;
    pub mod iam_access_key;
    pub mod lambdas;
    pub mod logs;
    pub mod metrics;
    pub mod mysql;
    pub mod notification;
    pub mod postgres;
    pub mod process;
    pub mod redshift;
    pub mod rotation;
    pub mod runtime_api;
    pub mod via_service;
}

/// template.yaml and examples/cdk, read as deployed: resources and least-privilege policies.
mod template {
    pub mod cdk;
    pub mod cfn;
    pub mod operations;
    pub mod policies;
    pub mod release;
}
