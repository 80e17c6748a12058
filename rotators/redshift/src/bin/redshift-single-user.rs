//! Lambda rotation function: Amazon Redshift, single user (the user changes its own password).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    rotor_core::lambda::run(rotor_redshift::SingleUser::new()).await
}
