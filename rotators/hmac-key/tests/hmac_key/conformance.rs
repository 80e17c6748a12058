//! The conformance suite on the example rotator, and on a copy of it that logs its key.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rotor_core::{CreateContext, Rotator, RotatorError, SecretContext, SecretJson, StepContext};
use rotor_hmac_key::{HmacKeyRotator, KEY_BYTES, KEY_FIELD};
use rotor_testkit::conformance::{self, Fixture};

use super::support::INITIAL;

/// Consumers verify with AWSCURRENT's key, so the live credential is a usable AWSCURRENT key.
struct Signing<R> {
    rotator: R,
}

impl<R: Rotator + Clone> Fixture for Signing<R> {
    type Rotator = R;
    const SECRET_FIELDS: &'static [&'static str] = &[KEY_FIELD];

    fn initial_value(&self) -> String {
        INITIAL.to_owned()
    }

    fn rotator(&self) -> R {
        self.rotator.clone()
    }

    async fn current_works(&self, secret: &SecretJson) -> bool {
        let key = secret.required_str(KEY_FIELD).map(|key| STANDARD.decode(key));
        matches!(key, Ok(Ok(bytes)) if bytes.len() == KEY_BYTES)
    }
}

#[tokio::test]
async fn the_hmac_key_rotator_conforms() {
    let report = conformance::run(async || Signing {
        rotator: HmacKeyRotator,
    })
    .await;
    assert_eq!(report.lockouts, 0);
    assert_eq!(report.crashes_injected, 2 * report.calls_in_a_rotation());
    assert!(report.elapsed.as_secs() < 10, "{report}");
}

/// The example rotator, plus a debug line that prints the new key.
#[derive(Debug, Clone, Copy)]
struct LeakyHmacKey;

impl Rotator for LeakyHmacKey {
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        HmacKeyRotator.create_pending(ctx).await
    }

    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let key = ctx.pending().required_str(KEY_FIELD).unwrap_or_default();
        lambda_runtime::tracing::debug!(key, "publishing the new signing key");
        HmacKeyRotator.set_secret(ctx).await
    }

    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        HmacKeyRotator.test_secret(ctx).await
    }

    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        HmacKeyRotator.test_configuration(ctx).await
    }
}

#[tokio::test]
#[should_panic(expected = r#"contains field "signing_key" of version"#)]
async fn a_rotator_that_logs_its_key_fails_the_suite() {
    conformance::run(async || Signing {
        rotator: LeakyHmacKey,
    })
    .await;
}
