//! An in-memory model of the IAM and STS calls, for tests: IAM's two-key limit, `NoSuchEntity`,
//! and STS that recognises a new key only after a configurable number of attempts, as IAM's
//! eventual consistency makes the real service do.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use secrecy::{ExposeSecret, SecretString};

use super::{AccessKey, IamApi, IamError, KEYS_PER_USER, KeyStatus, NewAccessKey};

/// The account the model's ARNs name.
const ACCOUNT: &str = "123456789012";

#[derive(Debug)]
struct StoredKey {
    id: String,
    secret: SecretString,
    status: KeyStatus,
    created: SystemTime,
    /// GetCallerIdentity calls left that STS answers `InvalidClientTokenId` for this key.
    unseen: usize,
}

#[derive(Debug, Default)]
struct State {
    users: BTreeMap<String, Vec<StoredKey>>,
    created: usize,
    sts_lag: usize,
    calls: Vec<String>,
}

/// IAM users and their access keys held in memory. Clones share the same state.
#[derive(Debug, Clone, Default)]
pub struct InMemoryIam {
    state: Arc<Mutex<State>>,
}

impl InMemoryIam {
    /// An empty account.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, apply: impl FnOnce(&mut State) -> T) -> T {
        apply(&mut self.state.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Adds a user without keys (nothing happens when it exists).
    pub fn add_user(&self, user: &str) {
        self.with(|state| {
            state.users.entry(user.to_owned()).or_default();
        });
    }

    /// Makes STS refuse each key created from now on for its first `attempts` GetCallerIdentity
    /// calls, as it does while IAM propagates a new key.
    pub fn set_sts_lag(&self, attempts: usize) {
        self.with(|state| state.sts_lag = attempts);
    }

    /// Creates a key as someone else would (an administrator, another tool), with its creation
    /// time; the limit applies.
    ///
    /// # Errors
    /// As CreateAccessKey.
    pub fn add_key(&self, user: &str, created: SystemTime) -> Result<NewAccessKey, IamError> {
        self.with(|state| create(state, user, created))
    }

    /// The user's keys, as ListAccessKeys shows them; empty for a user that does not exist.
    pub fn keys(&self, user: &str) -> Vec<AccessKey> {
        self.with(|state| listing(state.users.get(user).map_or(&[], Vec::as_slice)))
    }

    /// Whether the pair is an active key of `user`.
    pub fn works(&self, user: &str, key_id: &str, secret: &str) -> bool {
        self.with(|state| {
            state.users.get(user).is_some_and(|keys| {
                keys.iter().any(|key| {
                    key.id == key_id
                        && key.secret.expose_secret() == secret
                        && key.status == KeyStatus::Active
                })
            })
        })
    }

    /// The calls made so far, as `Operation:user`.
    pub fn calls(&self) -> Vec<String> {
        self.with(|state| state.calls.clone())
    }
}

fn listing(keys: &[StoredKey]) -> Vec<AccessKey> {
    keys.iter()
        .map(|key| AccessKey {
            id: key.id.clone(),
            status: key.status,
            created: Some(key.created),
        })
        .collect()
}

fn create(state: &mut State, user: &str, created: SystemTime) -> Result<NewAccessKey, IamError> {
    state.created += 1;
    let number = state.created;
    let lag = state.sts_lag;
    let keys = state.users.get_mut(user).ok_or_else(|| IamError::UserNotFound {
        user: user.to_owned(),
    })?;
    if keys.len() >= KEYS_PER_USER {
        return Err(IamError::LimitExceeded {
            user: user.to_owned(),
        });
    }
    let noise = std::collections::hash_map::RandomState::new().hash_one(number);
    let id = format!("AKIAMODEL{number:011}");
    let secret = SecretString::from(format!("model/{noise:016x}/secret/{number}"));
    keys.push(StoredKey {
        id: id.clone(),
        secret: secret.clone(),
        status: KeyStatus::Active,
        created,
        unseen: lag,
    });
    Ok(NewAccessKey { id, secret })
}

fn key_of<'a>(state: &'a mut State, user: &str, key_id: &str) -> Result<&'a mut StoredKey, IamError> {
    let not_found = || IamError::KeyNotFound {
        user: user.to_owned(),
        key_id: key_id.to_owned(),
    };
    let keys = state.users.get_mut(user).ok_or_else(not_found)?;
    keys.iter_mut().find(|key| key.id == key_id).ok_or_else(not_found)
}

impl IamApi for InMemoryIam {
    async fn list_access_keys(&self, user: &str) -> Result<Vec<AccessKey>, IamError> {
        self.with(|state| {
            state.calls.push(format!("ListAccessKeys:{user}"));
            let keys = state.users.get(user).ok_or_else(|| IamError::UserNotFound {
                user: user.to_owned(),
            })?;
            Ok(listing(keys))
        })
    }

    async fn create_access_key(&self, user: &str) -> Result<NewAccessKey, IamError> {
        self.with(|state| {
            state.calls.push(format!("CreateAccessKey:{user}"));
            create(state, user, SystemTime::now())
        })
    }

    async fn update_access_key(&self, user: &str, key_id: &str, status: KeyStatus) -> Result<(), IamError> {
        self.with(|state| {
            state.calls.push(format!("UpdateAccessKey:{user}"));
            key_of(state, user, key_id)?.status = status;
            Ok(())
        })
    }

    async fn delete_access_key(&self, user: &str, key_id: &str) -> Result<(), IamError> {
        self.with(|state| {
            state.calls.push(format!("DeleteAccessKey:{user}"));
            key_of(state, user, key_id)?;
            if let Some(keys) = state.users.get_mut(user) {
                keys.retain(|key| key.id != key_id);
            }
            Ok(())
        })
    }

    async fn caller_identity(&self, key_id: &str, secret: &SecretString) -> Result<String, IamError> {
        self.with(|state| {
            state.calls.push("GetCallerIdentity".to_owned());
            let refused = || IamError::KeyNotRecognised {
                key_id: key_id.to_owned(),
                code: "InvalidClientTokenId".into(),
            };
            let found = state.users.iter_mut().find_map(|(user, keys)| {
                keys.iter_mut()
                    .find(|key| key.id == key_id)
                    .map(|key| (user.clone(), key))
            });
            let (user, key) = found.ok_or_else(refused)?;
            if key.unseen > 0 {
                key.unseen -= 1;
                return Err(refused());
            }
            if key.status != KeyStatus::Active || key.secret.expose_secret() != secret.expose_secret() {
                return Err(refused());
            }
            Ok(format!("arn:aws:iam::{ACCOUNT}:user/{user}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_third_key_exceeds_the_limit_and_sts_recognises_a_key_after_its_lag() {
        let iam = InMemoryIam::new();
        iam.add_user("ci");
        iam.set_sts_lag(1);
        let first = iam.create_access_key("ci").await.unwrap();
        iam.create_access_key("ci").await.unwrap();
        let third = iam.create_access_key("ci").await.unwrap_err();
        assert_eq!(third, IamError::LimitExceeded { user: "ci".into() });
        assert!(iam.caller_identity(&first.id, &first.secret).await.is_err());
        let arn = iam.caller_identity(&first.id, &first.secret).await.unwrap();
        assert_eq!(arn, format!("arn:aws:iam::{ACCOUNT}:user/ci"));
        let missing = iam.list_access_keys("nobody").await.unwrap_err();
        assert_eq!(
            missing,
            IamError::UserNotFound {
                user: "nobody".into()
            }
        );
    }
}
