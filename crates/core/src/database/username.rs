//! How long a user name may be: the engine's limit, in the unit the server counts, lowered by
//! AWS's `USERNAME_CHARACTER_LIMIT` setting.

use std::fmt;

use crate::settings::InvalidSetting;

/// AWS's environment variable for the longest user name an alternating-users rotation may create.
pub const USERNAME_CHARACTER_LIMIT: &str = "USERNAME_CHARACTER_LIMIT";

/// What a server counts in a user name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LengthUnit {
    /// Bytes of UTF-8 (PostgreSQL's `NAMEDATALEN`).
    Bytes,
    /// Characters (MySQL and MariaDB).
    Characters,
}

/// The longest user name a server stores, and in which unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsernameLimit {
    /// The maximum length.
    pub max: usize,
    /// What `max` counts.
    pub unit: LengthUnit,
}

impl UsernameLimit {
    /// At most `max` bytes.
    pub const fn bytes(max: usize) -> Self {
        Self {
            max,
            unit: LengthUnit::Bytes,
        }
    }

    /// At most `max` characters.
    pub const fn characters(max: usize) -> Self {
        Self {
            max,
            unit: LengthUnit::Characters,
        }
    }

    /// Whether `name` fits.
    pub fn fits(&self, name: &str) -> bool {
        let length = match self.unit {
            LengthUnit::Bytes => name.len(),
            LengthUnit::Characters => name.chars().count(),
        };
        length <= self.max
    }

    /// This limit, lowered to `setting` characters when a `USERNAME_CHARACTER_LIMIT` is set.
    /// A character limit on a byte-counting server applies as characters too: both must hold.
    pub fn capped_by(self, setting: Option<UsernameSetting>) -> UsernameLimits {
        UsernameLimits {
            server: self,
            setting: setting.map(|setting| Self::characters(setting.0)),
        }
    }
}

impl fmt::Display for UsernameLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.unit {
            LengthUnit::Bytes => "bytes",
            LengthUnit::Characters => "characters",
        };
        write!(f, "{} {unit}", self.max)
    }
}

/// A server's limit and the configured one together. [`first_exceeded`](Self::first_exceeded)
/// names the one a name breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsernameLimits {
    server: UsernameLimit,
    setting: Option<UsernameLimit>,
}

impl UsernameLimits {
    /// The first limit `name` does not fit, if any: the setting's first, since it is the lower
    /// one whenever it matters.
    pub fn first_exceeded(&self, name: &str) -> Option<UsernameLimit> {
        self.setting
            .into_iter()
            .chain([self.server])
            .find(|limit| !limit.fits(name))
    }
}

/// The value of `USERNAME_CHARACTER_LIMIT`: a positive whole number of characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsernameSetting(pub usize);

/// `USERNAME_CHARACTER_LIMIT` is not a positive whole number.
pub const INVALID_USERNAME_LIMIT: InvalidSetting = InvalidSetting::new(
    "InvalidSetting.USERNAME_CHARACTER_LIMIT",
    "a positive whole number",
);

impl UsernameSetting {
    /// Reads `USERNAME_CHARACTER_LIMIT`: `None` when unset or empty.
    pub fn from_env() -> Result<Option<Self>, InvalidSetting> {
        Self::parse(std::env::var(USERNAME_CHARACTER_LIMIT).ok().as_deref())
    }

    /// Parses a value of `USERNAME_CHARACTER_LIMIT`.
    pub fn parse(value: Option<&str>) -> Result<Option<Self>, InvalidSetting> {
        match value.map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => match text.parse::<usize>() {
                Ok(limit) if limit > 0 => Ok(Some(Self(limit))),
                _ => Err(INVALID_USERNAME_LIMIT),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classify;

    #[test]
    fn limits_count_bytes_or_characters() {
        assert!(UsernameLimit::bytes(4).fits("éé"));
        assert!(!UsernameLimit::bytes(3).fits("éé"));
        assert!(UsernameLimit::characters(2).fits("éé"));
        assert_eq!(UsernameLimit::bytes(63).to_string(), "63 bytes");
        assert_eq!(UsernameLimit::characters(32).to_string(), "32 characters");
    }

    #[test]
    fn the_setting_lowers_the_servers_limit_and_is_named_when_it_is_broken() {
        let limits = UsernameLimit::bytes(63).capped_by(Some(UsernameSetting(10)));
        assert_eq!(limits.first_exceeded("app_clone"), None);
        assert_eq!(
            limits.first_exceeded("application_clone"),
            Some(UsernameLimit::characters(10))
        );
        let server_only = UsernameLimit::bytes(8).capped_by(None);
        assert_eq!(
            server_only.first_exceeded("app_clone"),
            Some(UsernameLimit::bytes(8))
        );
    }

    #[test]
    fn the_setting_is_a_positive_whole_number() {
        assert_eq!(UsernameSetting::parse(None), Ok(None));
        assert_eq!(UsernameSetting::parse(Some(" ")), Ok(None));
        assert_eq!(
            UsernameSetting::parse(Some(" 16 ")),
            Ok(Some(UsernameSetting(16)))
        );
        for bad in ["0", "-1", "sixteen", "1.5"] {
            let error = UsernameSetting::parse(Some(bad)).unwrap_err();
            assert_eq!(
                error.error_type(),
                "InvalidSetting.USERNAME_CHARACTER_LIMIT",
                "{bad}"
            );
        }
    }
}
