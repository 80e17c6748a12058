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
