//! # rotor-hmac-key
//!
//! An example custom rotator: it rotates an HMAC-SHA256 signing key that consumers read from
//! the secret itself, so no external system is involved. It shows the whole extension surface
//! of [`rotor_core::Rotator`] in one small file:
//!
//! - `create_pending` is overridden: the new value gets a fresh 256-bit key and a new `key_id`
//!   (the version id), and keeps every other field;
//! - `set_secret` has nothing to push, so it only validates the pending key;
//! - `test_secret` proves the key signs and verifies, and that it really is new;
//! - `test_configuration` checks AWSCURRENT when Secrets Manager tests the configuration.
//!
//! Secret format: `{"key_id": "...", "signing_key": "<base64 of 32 random bytes>", ...}`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rand::Rng;
use rotor_core::{
    Classify, CreateContext, ErrorClass, Rotator, RotatorError, SecretContext, SecretJson, StepContext,
};
use sha2::Sha256;

/// The field holding the base64 key.
pub const KEY_FIELD: &str = "signing_key";
/// The field naming the key, so consumers can tell keys apart in signatures.
pub const KEY_ID_FIELD: &str = "key_id";
/// Key length in bytes.
pub const KEY_BYTES: usize = 32;

/// Why a signing key is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key is not base64.
    #[error("{version} {KEY_FIELD} is not valid base64")]
    NotBase64 {
        /// Which version.
        version: &'static str,
    },
    /// The key is shorter than 256 bits.
    #[error("{version} {KEY_FIELD} is shorter than {KEY_BYTES} bytes")]
    TooShort {
        /// Which version.
        version: &'static str,
    },
    /// The pending key equals the current key.
    #[error("the pending key is the same as the current key")]
    NotRotated,
    /// A signature made with the key did not verify.
    #[error("a signature made with the pending key did not verify")]
    SignatureMismatch,
}

impl Classify for KeyError {
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::NotBase64 { .. } | Self::TooShort { .. } => "InvalidSigningKey",
            Self::NotRotated => "SigningKeyNotRotated",
            Self::SignatureMismatch => "SigningKeyUnusable",
        }
    }
}

/// Rotates an HMAC-SHA256 signing key.
#[derive(Debug, Clone, Copy, Default)]
pub struct HmacKeyRotator;

/// Decodes and checks a key; errors name the version, never the key.
fn decode_key(
    ctx: &SecretContext<'_>,
    secret: &SecretJson,
    version: &'static str,
) -> Result<Vec<u8>, RotatorError> {
    let encoded = secret
        .required_str(KEY_FIELD)
        .map_err(|problem| ctx.malformed(version, problem))?;
    let key = STANDARD
        .decode(encoded)
        .map_err(|_| KeyError::NotBase64 { version })?;
    if key.len() < KEY_BYTES {
        return Err(KeyError::TooShort { version }.into());
    }
    Ok(key)
}

fn sign(key: &[u8], message: &[u8]) -> Result<Hmac<Sha256>, KeyError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).map_err(|_| KeyError::SignatureMismatch)?;
    mac.update(message);
    Ok(mac)
}

impl Rotator for HmacKeyRotator {
    async fn create_pending(&self, ctx: &CreateContext<'_>) -> Result<SecretJson, RotatorError> {
        let mut key = [0_u8; KEY_BYTES];
        rand::rng().fill_bytes(&mut key);
        let mut pending = ctx.current().clone();
        pending.set(KEY_FIELD, STANDARD.encode(key));
        pending.set(KEY_ID_FIELD, ctx.token());
        Ok(pending)
    }

    async fn set_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        // Consumers read the key from the secret: there is nothing to push, only to validate.
        decode_key(ctx, ctx.pending(), "AWSPENDING")?;
        Ok(())
    }

    async fn test_secret(&self, ctx: &StepContext<'_>) -> Result<(), RotatorError> {
        let pending = decode_key(ctx, ctx.pending(), "AWSPENDING")?;
        let current = decode_key(ctx, ctx.current().await?, "AWSCURRENT")?;
        if pending == current {
            return Err(KeyError::NotRotated.into());
        }
        let message = ctx.token().as_bytes();
        let tag = sign(&pending, message)?.finalize().into_bytes();
        sign(&pending, message)?
            .verify_slice(&tag)
            .map_err(|_| KeyError::SignatureMismatch)?;
        Ok(())
    }

    async fn test_configuration(&self, ctx: &SecretContext<'_>) -> Result<(), RotatorError> {
        decode_key(ctx, ctx.current().await?, "AWSCURRENT")?;
        Ok(())
    }
    fn name(&self) -> &'static str {
        "hmac-key"
    }
}
