//! Lambda rotation function for HMAC signing keys.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    rotor_core::lambda::run(rotor_hmac_key::HmacKeyRotator).await
}
