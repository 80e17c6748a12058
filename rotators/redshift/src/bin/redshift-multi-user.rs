//! Lambda rotation function: Amazon Redshift, alternating users (`name` / `name_clone`, changed by
//! the master user named by `masterarn`). A Redshift-managed master secret is completed from the
//! Redshift API, whose clients are built only when one is met.

use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    rotor_core::lambda::run_or_report_with(rotor_redshift::AlternatingUsers::from_env(), |function| {
        function.with_redshift(Arc::new(rotor_redshift::AwsRedshift::from_env()))
    })
    .await
}
