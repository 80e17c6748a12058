//! Lambda rotation function: Amazon Redshift, alternating users (`name` / `name_clone`, changed by
//! the master user named by `masterarn`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    rotor_core::lambda::run_or_report(rotor_redshift::AlternatingUsers::from_env()).await
}
