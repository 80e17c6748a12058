//! Which versions form a rotation: the same user (single user) or the `_clone` pair (alternating
//! users), always on the same server and database.

use crate::error::{Classify, ErrorClass};

use super::secret::DatabaseSecret;

/// The suffix that marks the second user of an alternating pair.
pub const CLONE_SUFFIX: &str = "_clone";

/// The other user of an alternating pair: `name` ↔ `name_clone`. Whether the result fits the
/// engine is the caller's check (see [`UsernameLimit`](super::UsernameLimit)).
pub(crate) fn alternate_username(username: &str) -> String {
    match username.strip_suffix(CLONE_SUFFIX) {
        Some(original) if !original.is_empty() => original.to_owned(),
        _ => format!("{username}{CLONE_SUFFIX}"),
    }
}

/// Two secrets that do not form the pair a rotation needs. Names the versions and the field that
/// differ, never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PairMismatch {
    /// Two secrets point at different servers or databases.
    #[error("{first} and {second} differ in {field}: a rotation never moves a credential to another target")]
    Target {
        /// One secret, e.g. `AWSCURRENT`.
        first: &'static str,
        /// The other, e.g. `AWSPENDING`.
        second: &'static str,
        /// The field that differs: `host`, `port` or `dbname`.
        field: &'static str,
    },
    /// Single user: AWSPENDING names a different user than AWSCURRENT.
    #[error(
        "AWSPENDING names a different user than AWSCURRENT; a single-user rotation changes one user only"
    )]
    UsernameChanged,
    /// Alternating users: AWSPENDING's user is not AWSCURRENT's `_clone` partner.
    #[error("AWSPENDING's user is not the alternate (`_clone` partner) of AWSCURRENT's user")]
    NotAlternatePair,
    /// The second secret would connect with weaker TLS than the first: plaintext where the first
    /// verifies, or a CA bundle the first does not trust.
    #[error(
        "{second} weakens TLS relative to {first} (ssl or ssl_ca): a credential never travels over a weaker transport"
    )]
    TlsWeakened {
        /// The reference secret, e.g. `AWSCURRENT`.
        first: &'static str,
        /// The weaker one, e.g. `AWSPENDING`.
        second: &'static str,
    },
    /// Alternating users: the master secret's own user is one of the two users this secret
    /// rotates, so the master would change its own password.
    #[error(
        "the master secret's own user is one of the users this secret rotates: the master never rotates itself"
    )]
    MasterInPair,
}

impl Classify for PairMismatch {
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::Target { .. } => "TargetMismatch",
            Self::UsernameChanged => "UsernameChanged",
            Self::NotAlternatePair => "NotAlternatePair",
            Self::TlsWeakened { .. } => "TlsWeakened",
            Self::MasterInPair => "MasterInPair",
        }
    }
}

/// `second` against `first`: the same server and database, TLS no weaker, then the same TLS
/// settings exactly, so every credential of the rotation travels over one connection.
pub(super) fn same_connection(
    first_name: &'static str,
    first: &DatabaseSecret,
    second_name: &'static str,
    second: &DatabaseSecret,
) -> Result<(), PairMismatch> {
    let mismatch = |field| PairMismatch::Target {
        first: first_name,
        second: second_name,
        field,
    };
    first.same_target(second).map_err(mismatch)?;
    if first.weaker_tls(second) {
        return Err(PairMismatch::TlsWeakened {
            first: first_name,
            second: second_name,
        });
    }
    first.same_connection(second).map_err(mismatch)
}

/// AWSPENDING against AWSCURRENT (see [`same_connection`]).
fn same_target(current: &DatabaseSecret, pending: &DatabaseSecret) -> Result<(), PairMismatch> {
    same_connection("AWSCURRENT", current, "AWSPENDING", pending)
}

/// Single user: AWSPENDING must change AWSCURRENT's user on the same server and database, over
/// the same TLS settings ([`PairMismatch::TlsWeakened`] when it would weaken them).
pub fn check_single_user(current: &DatabaseSecret, pending: &DatabaseSecret) -> Result<(), PairMismatch> {
    same_target(current, pending)?;
    if current.username != pending.username {
        return Err(PairMismatch::UsernameChanged);
    }
    Ok(())
}

/// Alternating users: AWSPENDING's user must be AWSCURRENT's `_clone` partner on the same server
/// and database. Returns which of the two is the original.
///
/// Both usernames already passed their family's length rule when they were parsed, so no limit
/// is needed here: a partner name over the limit cannot equal AWSPENDING's.
pub fn check_alternating(
    current: &DatabaseSecret,
    pending: &DatabaseSecret,
) -> Result<UserPair, PairMismatch> {
    same_target(current, pending)?;
    let (pair, partner) = UserPair::next_rotation(&current.username);
    if partner != pending.username {
        return Err(PairMismatch::NotAlternatePair);
    }
    Ok(pair)
}

/// The master's own user must not be one of the child's pair: the master never rotates itself.
pub(super) fn check_master_user(master: &DatabaseSecret, child: &DatabaseSecret) -> Result<(), PairMismatch> {
    let partner = alternate_username(&child.username);
    if master.username == child.username || partner == master.username {
        return Err(PairMismatch::MasterInPair);
    }
    Ok(())
}

/// Which user of an alternating pair is the original and which the `_clone`, as
/// [`check_alternating`] found them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPair {
    /// The name without the suffix: the source of what the clone mirrors.
    pub original: String,
    /// `original` + `_clone`.
    pub clone: String,
}

impl UserPair {
    /// The pair the next rotation of a secret whose AWSCURRENT is `current_user` works on, and
    /// the user it gives the new password: `current_user`'s partner (`name` ↔ `name_clone`).
    pub fn next_rotation(current_user: &str) -> (Self, String) {
        let pending = alternate_username(current_user);
        let (original, clone) = if pending.len() > current_user.len() {
            (current_user.to_owned(), pending.clone())
        } else {
            (pending.clone(), current_user.to_owned())
        };
        (Self { original, clone }, pending)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::database::secret::tests::app;

    #[test]
    fn the_next_rotation_gives_the_partner_the_password() {
        let pair = |original: &str, clone: &str| UserPair {
            original: original.into(),
            clone: clone.into(),
        };
        assert_eq!(
            UserPair::next_rotation("app"),
            (pair("app", "app_clone"), "app_clone".to_owned())
        );
        assert_eq!(
            UserPair::next_rotation("app_clone"),
            (pair("app", "app_clone"), "app".to_owned())
        );
    }

    #[test]
    fn clone_names_toggle() {
        assert_eq!(alternate_username("app"), "app_clone");
        assert_eq!(alternate_username("app_clone"), "app");
        assert_eq!(alternate_username("_clone"), "_clone_clone");
    }

    #[test]
    fn single_user_requires_same_user_and_target() {
        let current = app("app", "");
        assert_eq!(check_single_user(&current, &app("app", "")), Ok(()));
        assert_eq!(
            check_single_user(&current, &app("other", "")),
            Err(PairMismatch::UsernameChanged)
        );
        for (extra, differing) in [
            (r#","host":"elsewhere""#, "host"),
            (r#","port":1"#, "port"),
            (r#","dbname":"x""#, "dbname"),
        ] {
            assert_eq!(
                check_single_user(&current, &app("app", extra)),
                Err(PairMismatch::Target {
                    first: "AWSCURRENT",
                    second: "AWSPENDING",
                    field: differing
                })
            );
        }
        assert_eq!(
            check_single_user(&current, &app("other", r#","port":1"#)),
            Err(PairMismatch::Target {
                first: "AWSCURRENT",
                second: "AWSPENDING",
                field: "port"
            }),
            "the target is checked before the user"
        );
    }

    #[test]
    fn alternating_requires_the_clone_partner_and_knows_the_original() {
        let pair = UserPair {
            original: "app".into(),
            clone: "app_clone".into(),
        };
        assert_eq!(
            check_alternating(&app("app", ""), &app("app_clone", "")),
            Ok(pair.clone())
        );
        assert_eq!(
            check_alternating(&app("app_clone", ""), &app("app", "")),
            Ok(pair)
        );
        assert_eq!(
            check_alternating(&app("app", ""), &app("app", "")),
            Err(PairMismatch::NotAlternatePair)
        );
        assert_eq!(
            check_alternating(&app("app", ""), &app("postgres", "")),
            Err(PairMismatch::NotAlternatePair)
        );
        assert!(matches!(
            check_alternating(&app("app", ""), &app("app_clone", r#","dbname":"x""#)),
            Err(PairMismatch::Target { field: "dbname", .. })
        ));
    }

    #[test]
    fn pending_may_not_weaken_or_change_tls() {
        let current = app("app", "");
        assert_eq!(
            check_single_user(&current, &app("app", r#","ssl":false"#)),
            Err(PairMismatch::TlsWeakened {
                first: "AWSCURRENT",
                second: "AWSPENDING"
            })
        );
        assert_eq!(
            check_alternating(&current, &app("app_clone", r#","ssl_ca":"/evil.pem""#)),
            Err(PairMismatch::TlsWeakened {
                first: "AWSCURRENT",
                second: "AWSPENDING"
            })
        );
        let with_ca = app("app", r#","ssl_ca":"/rds.pem""#);
        assert_eq!(
            check_single_user(&with_ca, &current),
            Err(PairMismatch::Target {
                first: "AWSCURRENT",
                second: "AWSPENDING",
                field: "ssl_ca"
            }),
            "a stricter pending is still a different connection"
        );
        assert_eq!(
            PairMismatch::TlsWeakened {
                first: "AWSCURRENT",
                second: "AWSPENDING"
            }
            .error_type(),
            "TlsWeakened"
        );
    }

    #[test]
    fn the_master_never_rotates_itself() {
        for child in ["admin", "admin_clone"] {
            assert_eq!(
                check_master_user(&app("admin", ""), &app(child, "")),
                Err(PairMismatch::MasterInPair),
                "{child}"
            );
        }
        let clone_master = app("admin_clone", "");
        assert_eq!(
            check_master_user(&clone_master, &app("admin", "")),
            Err(PairMismatch::MasterInPair)
        );
        assert_eq!(check_master_user(&app("admin", ""), &app("app", "")), Ok(()));
        assert_eq!(PairMismatch::MasterInPair.error_type(), "MasterInPair");
        assert_eq!(PairMismatch::MasterInPair.class(), ErrorClass::Permanent);
    }

    #[test]
    fn mismatches_are_permanent_and_name_fields_not_values() {
        let error = check_single_user(&app("app", ""), &app("app", r#","host":"secret-host""#)).unwrap_err();
        assert_eq!(
            (error.class(), error.error_type()),
            (ErrorClass::Permanent, "TargetMismatch")
        );
        assert!(!error.to_string().contains("secret-host"), "{error}");
        assert_eq!(PairMismatch::UsernameChanged.error_type(), "UsernameChanged");
        assert_eq!(PairMismatch::NotAlternatePair.error_type(), "NotAlternatePair");
    }
}
