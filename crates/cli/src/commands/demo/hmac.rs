//! `rotor demo hmac-key`: the demo without a database. It seeds an HMAC signing key in a
//! throwaway local store, rotates it through the same code path as `rotor rotate`, and checks
//! what a consumer cares about: the labels moved, the new key is different and signs, signatures
//! made with the old key no longer verify under AWSCURRENT, and AWSPREVIOUS still holds the old
//! key. Keys are shown as fingerprints only.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{SecretJson, SecretsManager, StagingLabel};
use sha2::{Digest, Sha256};

use super::{Demo, Proof};
use crate::output::{Exit, Output};
use crate::rotators::RotatorName;
use crate::store::Store;
use crate::timeline;

const SECRET: &str = "demo/signing-key";
const MESSAGE: &[u8] = b"rotor demo: a message signed by a consumer";

/// Runs the demo.
pub(super) async fn run(output: Output) -> Exit {
    output.line("rotor demo: rotate an HMAC signing key, as Secrets Manager would, with no AWS account");
    let Some(demo) = Demo::start(output) else {
        return Exit::Failure;
    };
    let old_key = new_key();
    let initial = format!(
        r#"{{"key_id":"demo-0","signing_key":"{}","issuer":"rotor-demo"}}"#,
        STANDARD.encode(old_key)
    );
    let Some(arn) = demo.seed(SECRET, initial, output) else {
        return Exit::Failure;
    };
    output.line(format!("seeded {SECRET} with key {}", fingerprint(&old_key)));
    let Some(run) = demo.rotate(&arn, SECRET, RotatorName::HmacKey, output).await else {
        return Exit::Failure;
    };
    let token = run.token.unwrap_or_default();
    prove(demo.store(), &arn, &token, &old_key, output).await
}

async fn prove(store: &Store, arn: &str, token: &str, old_key: &[u8], output: Output) -> Exit {
    let current = key_of(store, arn, StagingLabel::Current).await;
    let previous = key_of(store, arn, StagingLabel::Previous).await;
    let labels = store
        .describe_secret(arn)
        .await
        .map(|description| description.versions)
        .unwrap_or_default();
    let (Some((current_version, new_key)), Some((_, previous_key))) = (current, previous) else {
        output.note("error: AWSCURRENT or AWSPREVIOUS has no readable signing_key");
        return Exit::Failure;
    };
    let old_tag = sign(old_key);
    let checks = [
        (
            current_version == token,
            format!(
                "AWSCURRENT moved to the rotation's version: {}",
                timeline::labels(&labels)
            ),
        ),
        (
            new_key != old_key,
            format!(
                "the new key differs: {} -> {}",
                fingerprint(old_key),
                fingerprint(&new_key)
            ),
        ),
        (
            new_key.len() == 32 && verifies(&new_key, &sign(&new_key)),
            "the new key signs and verifies (HMAC-SHA256, 256-bit key)".to_owned(),
        ),
        (
            !verifies(&new_key, &old_tag),
            "a signature made with the old key does not verify under AWSCURRENT".to_owned(),
        ),
        (
            previous_key == old_key && verifies(&previous_key, &old_tag),
            format!(
                "AWSPREVIOUS holds the old key {}, so in-flight signatures can still be checked",
                fingerprint(old_key)
            ),
        ),
    ];
    let mut proof = Proof::new(output);
    for (holds, claim) in checks {
        proof.check(holds, claim);
    }
    proof.exit()
}

fn new_key() -> [u8; 32] {
    rand::random()
}

async fn key_of(store: &Store, arn: &str, label: StagingLabel) -> Option<(String, Vec<u8>)> {
    let version = store
        .get_secret_value(arn, VersionSelector::stage(label))
        .await
        .ok()?;
    let json = SecretJson::parse(&version.value).ok()?;
    let key = STANDARD.decode(json.required_str("signing_key").ok()?).ok()?;
    Some((version.version_id, key))
}

/// A key's public name: the first 8 hex digits of its SHA-256.
fn fingerprint(key: &[u8]) -> String {
    let digest = Sha256::digest(key);
    let hex: String = digest.iter().take(4).map(|byte| format!("{byte:02x}")).collect();
    format!("sha256:{hex}")
}

fn sign(key: &[u8]) -> Vec<u8> {
    Hmac::<Sha256>::new_from_slice(key)
        .map(|mut mac| {
            mac.update(MESSAGE);
            mac.finalize().into_bytes().to_vec()
        })
        .unwrap_or_default()
}

fn verifies(key: &[u8], tag: &[u8]) -> bool {
    Hmac::<Sha256>::new_from_slice(key).is_ok_and(|mut mac| {
        mac.update(MESSAGE);
        mac.verify_slice(tag).is_ok()
    })
}
