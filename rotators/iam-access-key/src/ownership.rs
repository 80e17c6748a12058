//! Which of a user's access keys belong to the secret, and so which the rotator may retire.
//! Pure decisions over ListAccessKeys and the secret's versions; the crate docs state the rule.

use std::time::{Duration, SystemTime};

use crate::iam::{AccessKey, KEYS_PER_USER, KeyStatus};

/// How much earlier than the rotation's version a key may be created and still count as this
/// rotation's: IAM's `CreateDate` has whole seconds, and two services' clocks may differ a little.
pub const CLOCK_TOLERANCE: Duration = Duration::from_secs(2);

/// What a key of the user is to the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ownership {
    /// AWSCURRENT's key: never touched.
    Current,
    /// AWSPREVIOUS's key: deactivated by the finish hook, deleted when its slot is needed.
    Previous,
    /// The key of an older stored version (a rotation before the last, or a cancelled one).
    Retired,
    /// Created by this rotation and named by no stored version: a createSecret crashed before
    /// PutSecretValue. Its secret part is lost, so it can only be deleted.
    Orphan,
    /// Not this secret's: never touched.
    Foreign,
}

/// What the secret says about keys.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// AWSCURRENT's `AccessKeyId`.
    pub current: Option<String>,
    /// AWSPREVIOUS's `AccessKeyId`, when it names the same user.
    pub previous: Option<String>,
    /// The `AccessKeyId`s of older stored versions.
    pub stored: Vec<String>,
    /// When this rotation's version was created (RotateSecret's empty AWSPENDING version).
    pub rotation_started: Option<SystemTime>,
}

impl Known {
    /// Whether `key` is neither AWSCURRENT's nor AWSPREVIOUS's, so that deciding about it needs
    /// the secret's history ([`Known::stored`], [`Known::rotation_started`]).
    pub fn needs_history(&self, key: &AccessKey) -> bool {
        !matches!(self.quick(key), Some(Ownership::Current | Ownership::Previous))
    }

    fn quick(&self, key: &AccessKey) -> Option<Ownership> {
        if self.current.as_deref() == Some(key.id.as_str()) {
            Some(Ownership::Current)
        } else if self.previous.as_deref() == Some(key.id.as_str()) {
            Some(Ownership::Previous)
        } else {
            None
        }
    }

    /// What `key` is to the secret.
    pub fn classify(&self, key: &AccessKey) -> Ownership {
        if let Some(known) = self.quick(key) {
            return known;
        }
        if self.stored.contains(&key.id) {
            return Ownership::Retired;
        }
        match (key.created, self.rotation_started) {
            (Some(created), Some(started)) if created + CLOCK_TOLERANCE >= started => Ownership::Orphan,
            _ => Ownership::Foreign,
        }
    }
}

/// The keys createSecret deletes before CreateAccessKey: retired keys and this rotation's
/// orphans always, AWSPREVIOUS's key only when the user would otherwise stay at the limit.
///
/// # Errors
/// The foreign keys, when they leave no room for a new key.
pub fn make_room(keys: &[AccessKey], known: &Known) -> Result<Vec<String>, Vec<String>> {
    let mut delete = Vec::new();
    let mut previous = None;
    let mut kept = 0;
    for key in keys {
        match known.classify(key) {
            Ownership::Retired | Ownership::Orphan => delete.push(key.id.clone()),
            Ownership::Previous => {
                previous = Some(key.id.clone());
                kept += 1;
            }
            Ownership::Current | Ownership::Foreign => kept += 1,
        }
    }
    if kept >= KEYS_PER_USER
        && let Some(previous) = previous
    {
        delete.push(previous);
        kept -= 1;
    }
    if kept >= KEYS_PER_USER {
        let foreign = keys
            .iter()
            .filter(|key| known.classify(key) == Ownership::Foreign)
            .map(|key| key.id.clone())
            .collect();
        return Err(foreign);
    }
    Ok(delete)
}

/// What the finish hook does: deactivate AWSPREVIOUS's key when it is still active, delete
/// retired keys and orphans. Foreign keys and AWSCURRENT's key are left alone.
pub fn retire(keys: &[AccessKey], known: &Known) -> (Option<String>, Vec<String>) {
    let mut deactivate = None;
    let mut delete = Vec::new();
    for key in keys {
        match known.classify(key) {
            Ownership::Previous if key.status == KeyStatus::Active => deactivate = Some(key.id.clone()),
            Ownership::Retired | Ownership::Orphan => delete.push(key.id.clone()),
            Ownership::Current | Ownership::Previous | Ownership::Foreign => {}
        }
    }
    (deactivate, delete)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    fn key(id: &str, created: SystemTime) -> AccessKey {
        AccessKey {
            id: id.into(),
            status: KeyStatus::Active,
            created: Some(created),
        }
    }

    fn known(started: SystemTime) -> Known {
        Known {
            current: Some("CUR".into()),
            previous: Some("PREV".into()),
            stored: vec!["OLD".into()],
            rotation_started: Some(started),
        }
    }

    #[test]
    fn only_a_key_created_after_the_rotation_started_and_stored_nowhere_is_an_orphan() {
        let started = SystemTime::now();
        let known = known(started);
        assert_eq!(known.classify(&key("CUR", started + HOUR)), Ownership::Current);
        assert_eq!(known.classify(&key("PREV", started + HOUR)), Ownership::Previous);
        assert_eq!(known.classify(&key("OLD", started + HOUR)), Ownership::Retired);
        assert_eq!(known.classify(&key("NEW", started + HOUR)), Ownership::Orphan);
        assert_eq!(
            known.classify(&key("SAME-SECOND", started - Duration::from_secs(1))),
            Ownership::Orphan
        );
        assert_eq!(known.classify(&key("ADMIN", started - HOUR)), Ownership::Foreign);
        let undated = Known {
            rotation_started: None,
            ..known
        };
        assert_eq!(undated.classify(&key("NEW", started + HOUR)), Ownership::Foreign);
    }

    #[test]
    fn room_is_made_from_orphans_and_previous_never_from_foreign_keys() {
        let started = SystemTime::now();
        let known = known(started);
        let orphan = [key("CUR", started - HOUR), key("NEW", started)];
        assert_eq!(make_room(&orphan, &known), Ok(vec!["NEW".to_owned()]));
        let previous = [key("PREV", started - HOUR), key("CUR", started - HOUR)];
        assert_eq!(make_room(&previous, &known), Ok(vec!["PREV".to_owned()]));
        let foreign = [key("CUR", started - HOUR), key("ADMIN", started - HOUR)];
        assert_eq!(make_room(&foreign, &known), Err(vec!["ADMIN".to_owned()]));
        let one_slot = [key("ADMIN", started - HOUR)];
        assert_eq!(make_room(&one_slot, &known), Ok(vec![]));
    }

    #[test]
    fn the_finish_hook_deactivates_previous_and_deletes_older_keys_only() {
        let started = SystemTime::now();
        let mut inactive = key("PREV", started - HOUR);
        inactive.status = KeyStatus::Inactive;
        let keys = [
            key("CUR", started),
            key("PREV", started - HOUR),
            key("OLD", started - HOUR),
        ];
        assert_eq!(
            retire(&keys, &known(started)),
            (Some("PREV".into()), vec!["OLD".into()])
        );
        let done = [key("CUR", started), inactive, key("ADMIN", started - HOUR)];
        assert_eq!(retire(&done, &known(started)), (None, vec![]));
    }
}
