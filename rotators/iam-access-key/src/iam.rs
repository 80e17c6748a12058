//! The IAM port: the four access-key calls and the one STS call the rotator makes, and only those.
//!
//! [`AwsIam`] calls the services through `aws-sdk-iam` and `aws-sdk-sts`, on the SDK
//! configuration the Secrets Manager client uses. [`InMemoryIam`] models them for tests: the
//! two-key limit, `NoSuchEntity`, and STS not yet recognising a new key (eventual consistency).

mod aws;
mod error;
mod memory;

use std::future::Future;
use std::time::SystemTime;

use secrecy::SecretString;

pub use aws::AwsIam;
pub use error::IamError;
pub use memory::InMemoryIam;

/// How many access keys IAM lets a user have (a fixed quota).
pub const KEYS_PER_USER: usize = 2;

/// Whether a key can sign requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// The key signs requests.
    Active,
    /// The key is kept but refused.
    Inactive,
}

impl KeyStatus {
    /// IAM's name for the status.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Inactive => "Inactive",
        }
    }
}

/// One entry of ListAccessKeys: never the secret part, which IAM returns only at creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKey {
    /// `AccessKeyId`.
    pub id: String,
    /// `Status`.
    pub status: KeyStatus,
    /// `CreateDate`; `None` when the service leaves it out.
    pub created: Option<SystemTime>,
}

/// What CreateAccessKey returns: the only time the secret part is seen.
#[derive(Debug, Clone)]
pub struct NewAccessKey {
    /// `AccessKeyId`.
    pub id: String,
    /// `SecretAccessKey`; `Debug` prints `[REDACTED]`.
    pub secret: SecretString,
}

/// The IAM and STS calls the rotator makes. Every call names the user it acts on, so the
/// function's policy can limit it to the users it manages.
pub trait IamApi: Send + Sync + std::fmt::Debug {
    /// ListAccessKeys. [`IamError::UserNotFound`] when the user does not exist.
    fn list_access_keys(&self, user: &str) -> impl Future<Output = Result<Vec<AccessKey>, IamError>> + Send;

    /// CreateAccessKey. [`IamError::LimitExceeded`] when the user already has
    /// [`KEYS_PER_USER`] keys.
    fn create_access_key(&self, user: &str) -> impl Future<Output = Result<NewAccessKey, IamError>> + Send;

    /// UpdateAccessKey. [`IamError::KeyNotFound`] when the user has no such key.
    fn update_access_key(
        &self,
        user: &str,
        key_id: &str,
        status: KeyStatus,
    ) -> impl Future<Output = Result<(), IamError>> + Send;

    /// DeleteAccessKey. [`IamError::KeyNotFound`] when the user has no such key.
    fn delete_access_key(
        &self,
        user: &str,
        key_id: &str,
    ) -> impl Future<Output = Result<(), IamError>> + Send;

    /// STS GetCallerIdentity signed with the given key: the ARN it belongs to.
    /// [`IamError::KeyNotRecognised`] while STS does not (yet) accept the key.
    fn caller_identity(
        &self,
        key_id: &str,
        secret: &SecretString,
    ) -> impl Future<Output = Result<String, IamError>> + Send;
}
