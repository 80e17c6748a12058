//! Settings a rotation function reads once at start-up.

use crate::password::{PasswordPolicy, PasswordSource, PolicyError};

/// How new passwords are made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationSettings {
    /// Length and character rules.
    pub password_policy: PasswordPolicy,
    /// Local CSPRNG or GetRandomPassword.
    pub password_source: PasswordSource,
}

impl RotationSettings {
    /// AWS's defaults, with the engine's default excluded characters, generated locally.
    pub fn new(default_exclude: &str) -> Self {
        Self {
            password_policy: PasswordPolicy::new(default_exclude),
            password_source: PasswordSource::Local,
        }
    }

    /// Reads the password variables (see [`PasswordPolicy::from_env`]) and
    /// `ROTOR_PASSWORD_SOURCE`.
    pub fn from_env(default_exclude: &str) -> Result<Self, PolicyError> {
        let password_source = match std::env::var(PasswordSource::VARIABLE) {
            Ok(value) => PasswordSource::parse(&value).ok_or(PolicyError::UnknownSource)?,
            Err(_) => PasswordSource::Local,
        };
        Ok(Self {
            password_policy: PasswordPolicy::from_env(default_exclude)?,
            password_source,
        })
    }
}

/// An environment variable of a rotation function has a value the function does not understand.
/// Reported on every invocation as `InvalidSetting.<VARIABLE>` (see
/// [`lambda::run_or_report`](crate::lambda::run_or_report)); nothing is read or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} must be {expected}", self.variable())]
pub struct InvalidSetting {
    error_type: &'static str,
    expected: &'static str,
}

impl InvalidSetting {
    /// The setting whose `errorType` is `error_type` (`InvalidSetting.<VARIABLE>`, written out so
    /// it stays a constant) must be `expected` (`a positive whole number`).
    pub const fn new(error_type: &'static str, expected: &'static str) -> Self {
        Self { error_type, expected }
    }

    /// The variable: `error_type` without `InvalidSetting.`.
    pub fn variable(&self) -> &'static str {
        self.error_type
            .strip_prefix("InvalidSetting.")
            .unwrap_or(self.error_type)
    }
}

impl crate::Classify for InvalidSetting {
    fn class(&self) -> crate::ErrorClass {
        crate::ErrorClass::Permanent
    }

    fn error_type(&self) -> &'static str {
        self.error_type
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Classify;

    #[test]
    fn an_invalid_setting_names_its_variable() {
        let invalid = InvalidSetting::new("InvalidSetting.KEY_BITS", "128 or 256");
        assert_eq!(invalid.variable(), "KEY_BITS");
        assert_eq!(invalid.error_type(), "InvalidSetting.KEY_BITS");
        assert_eq!(invalid.to_string(), "KEY_BITS must be 128 or 256");
    }
}
