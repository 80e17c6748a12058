//! Lambda rotation function for IAM user access keys.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    rotor_core::lambda::run(rotor_iam_access_key::IamAccessKeyRotator::from_env()).await
}
