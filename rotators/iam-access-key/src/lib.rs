//! # rotor-iam-access-key
//!
//! Rotates an IAM user's access key. Secret format (unknown fields are kept):
//!
//! ```json
//! {"UserName": "ci-deployer", "AccessKeyId": "AKIA…", "SecretAccessKey": "…"}
//! ```
//!
//! A value with only `UserName` is a secret waiting for its first key: the first rotation
//! creates one.
//!
//! ## Design
//!
//! This is the hard kind of rotation: the external system, not the rotator, makes the new
//! value, and it shows the secret part exactly once. So **createSecret** itself calls IAM
//! (CreateAccessKey) and returns the new pair, which core stores as AWSPENDING. **setSecret**
//! has nothing left to apply and only checks the pending value. **testSecret** calls STS
//! GetCallerIdentity signed with the new key and requires the secret's user; IAM propagates a
//! new key within seconds, so a refusal (`InvalidClientTokenId`) is retried with backoff until
//! the invocation's deadline, after checking once that the key exists and is active. The
//! **finish hook** ([`Rotator::after_finish`](rotor_core::Rotator::after_finish)) deactivates
//! the key that became AWSPREVIOUS's (so it can still be reactivated by hand) and deletes the
//! older keys of this secret.
//!
//! ## Which keys are this secret's
//!
//! IAM allows two keys per user and keys have no tags, so what the rotator may delete is
//! decided from the secret alone ([`ownership`]). A key of the user is
//!
//! - **AWSCURRENT's** or **AWSPREVIOUS's** when that version's `AccessKeyId` names it
//!   (AWSPREVIOUS only counts when it names the same `UserName`);
//! - **retired** when one of the ten newest older versions names it (a rotation before the last,
//!   or a cancelled rotation whose createSecret completed);
//! - an **orphan of this rotation** when it is none of those and IAM created it no earlier than
//!   [`CLOCK_TOLERANCE`](ownership::CLOCK_TOLERANCE) before this rotation's version (the empty
//!   AWSPENDING version RotateSecret makes; its `CreatedDate` from ListSecretVersionIds). Only a
//!   createSecret of this rotation that crashed between CreateAccessKey and PutSecretValue
//!   leaves one. Its secret part is lost, so it cannot be reused: it is deleted;
//! - **foreign** otherwise, and never touched.
//!
//! createSecret deletes retired keys and orphans, then, if the user still has two keys,
//! AWSPREVIOUS's key (deactivated by the last finish hook); if foreign keys still fill both
//! slots it fails with [`AccessKeyError::NoRoomForKey`] before changing anything. A missing user
//! is [`IamError::UserNotFound`] and a value without `UserName` is core's `MalformedSecret`,
//! both before anything is created. The finish hook deactivates AWSPREVIOUS's key, deletes
//! retired keys and orphans, and on a second run finds nothing left to do.
//!
//! What the rule cannot see: the orphan of a *cancelled* rotation (a crash after
//! CreateAccessKey, then CancelRotateSecret) was made before the next rotation's version, so
//! that rotation treats it as foreign and, if it fills the second slot, refuses with the key id
//! in the error for a person to delete; a key someone creates for the user in the seconds
//! around a rotation's start, or between that start and its finish hook, is taken for an
//! orphan. Without a creation date on the rotation's version (not seen in AWS or moto), no key
//! is an orphan.
//!
//! No secret access key appears in a log line, an error or `Debug` output: keys are named by
//! their `AccessKeyId`, and the secret part lives in a [`secrecy::SecretString`].

mod error;
pub mod iam;
pub mod ownership;
mod rotator;

pub use error::AccessKeyError;
pub use iam::{AwsIam, IamApi, IamError, InMemoryIam};
pub use rotator::{
    ACCESS_KEY_ID_FIELD, IamAccessKeyRotator, LOG_TARGETS, SECRET_ACCESS_KEY_FIELD, USER_NAME_FIELD,
};
