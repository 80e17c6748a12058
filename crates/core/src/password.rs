//! Password policy: the environment variables AWS's functions read, and local generation.

use rand::RngExt;
use rand::seq::{IndexedRandom, SliceRandom};
use secrecy::SecretString;

/// The punctuation GetRandomPassword draws from.
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
/// AWS's generic default for `EXCLUDE_CHARACTERS` (MySQL, MariaDB, custom rotators).
pub const DEFAULT_EXCLUDE_CHARACTERS: &str = "/@\"'\\";

const LOWERCASE: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPERCASE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";
const MAX_LENGTH: usize = 4096;

/// Why a password policy cannot produce passwords. Each variant names the environment variable
/// to change, never its value; see [`Classify::error_type`](crate::Classify::error_type) for the
/// `InvalidSetting.<VARIABLE>` names reported to Lambda.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// `PASSWORD_LENGTH` is not a whole number from 1 to 4096.
    #[error("PASSWORD_LENGTH must be a whole number from 1 to 4096")]
    InvalidLength,
    /// `EXCLUDE_CHARACTERS` and the `EXCLUDE_NUMBERS`, `EXCLUDE_PUNCTUATION`, `EXCLUDE_UPPERCASE`
    /// and `EXCLUDE_LOWERCASE` flags together exclude every character.
    #[error(
        "EXCLUDE_CHARACTERS, EXCLUDE_NUMBERS, EXCLUDE_PUNCTUATION, EXCLUDE_UPPERCASE and EXCLUDE_LOWERCASE \
         together exclude every character"
    )]
    EmptyAlphabet,
    /// `REQUIRE_EACH_INCLUDED_TYPE` needs more characters than `PASSWORD_LENGTH`.
    #[error(
        "PASSWORD_LENGTH {length} is too short for REQUIRE_EACH_INCLUDED_TYPE, which needs one character \
         of each of {classes} types"
    )]
    TooShortForEachType {
        /// The configured length.
        length: usize,
        /// How many classes must appear.
        classes: usize,
    },
    /// `ROTOR_PASSWORD_SOURCE` names no known source.
    #[error("ROTOR_PASSWORD_SOURCE must be local or secretsmanager")]
    UnknownSource,
}

impl PolicyError {
    /// The environment variable to change. `EXCLUDE_*` stands for the exclusion settings
    /// together, because only their combination is wrong.
    pub fn variable(&self) -> &'static str {
        match self {
            Self::InvalidLength | Self::TooShortForEachType { .. } => "PASSWORD_LENGTH",
            Self::EmptyAlphabet => "EXCLUDE_*",
            Self::UnknownSource => PasswordSource::VARIABLE,
        }
    }
}

impl crate::Classify for PolicyError {
    fn class(&self) -> crate::ErrorClass {
        crate::ErrorClass::Permanent
    }

    /// `InvalidSetting.<VARIABLE>`: `InvalidSetting.PASSWORD_LENGTH`, `InvalidSetting.EXCLUDE_*`
    /// or `InvalidSetting.ROTOR_PASSWORD_SOURCE`.
    fn error_type(&self) -> &'static str {
        match self {
            Self::InvalidLength | Self::TooShortForEachType { .. } => "InvalidSetting.PASSWORD_LENGTH",
            Self::EmptyAlphabet => "InvalidSetting.EXCLUDE_*",
            Self::UnknownSource => "InvalidSetting.ROTOR_PASSWORD_SOURCE",
        }
    }
}

/// The rules for new passwords, with the same names and defaults as AWS's rotation functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordPolicy {
    length: usize,
    exclude_characters: String,
    exclude_numbers: bool,
    exclude_punctuation: bool,
    exclude_uppercase: bool,
    exclude_lowercase: bool,
    require_each_included_type: bool,
}

/// AWS's truthiness: `true`, `1`, `y` or `yes`, in any case.
fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "y" | "yes"
    )
}

impl PasswordPolicy {
    /// AWS's defaults: 32 characters, every type required, `default_exclude` excluded.
    pub fn new(default_exclude: &str) -> Self {
        Self {
            length: 32,
            exclude_characters: default_exclude.to_owned(),
            exclude_numbers: false,
            exclude_punctuation: false,
            exclude_uppercase: false,
            exclude_lowercase: false,
            require_each_included_type: true,
        }
    }

    /// Reads `PASSWORD_LENGTH`, `EXCLUDE_CHARACTERS`, `EXCLUDE_NUMBERS`, `EXCLUDE_PUNCTUATION`,
    /// `EXCLUDE_UPPERCASE`, `EXCLUDE_LOWERCASE` and `REQUIRE_EACH_INCLUDED_TYPE` from the process
    /// environment.
    pub fn from_env(default_exclude: &str) -> Result<Self, PolicyError> {
        Self::from_lookup(default_exclude, |name| std::env::var(name).ok())
    }

    /// Like [`from_env`](Self::from_env), reading variables through `lookup`.
    pub fn from_lookup(
        default_exclude: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, PolicyError> {
        let mut policy = Self::new(default_exclude);
        if let Some(length) = lookup("PASSWORD_LENGTH") {
            policy.length = length.trim().parse().map_err(|_| PolicyError::InvalidLength)?;
        }
        if let Some(exclude) = lookup("EXCLUDE_CHARACTERS") {
            policy.exclude_characters = exclude;
        }
        let flag = |name: &str, default: bool| lookup(name).map_or(default, |value| truthy(&value));
        policy.exclude_numbers = flag("EXCLUDE_NUMBERS", false);
        policy.exclude_punctuation = flag("EXCLUDE_PUNCTUATION", false);
        policy.exclude_uppercase = flag("EXCLUDE_UPPERCASE", false);
        policy.exclude_lowercase = flag("EXCLUDE_LOWERCASE", false);
        policy.require_each_included_type = flag("REQUIRE_EACH_INCLUDED_TYPE", true);
        policy.classes()?;
        Ok(policy)
    }

    /// The password length.
    pub fn length(&self) -> usize {
        self.length
    }

    /// Characters never used.
    pub fn exclude_characters(&self) -> &str {
        &self.exclude_characters
    }

    /// Whether digits are excluded.
    pub fn exclude_numbers(&self) -> bool {
        self.exclude_numbers
    }

    /// Whether punctuation is excluded.
    pub fn exclude_punctuation(&self) -> bool {
        self.exclude_punctuation
    }

    /// Whether upper-case letters are excluded.
    pub fn exclude_uppercase(&self) -> bool {
        self.exclude_uppercase
    }

    /// Whether lower-case letters are excluded.
    pub fn exclude_lowercase(&self) -> bool {
        self.exclude_lowercase
    }

    /// Whether each included type must appear at least once.
    pub fn require_each_included_type(&self) -> bool {
        self.require_each_included_type
    }

    /// The character classes in use, each without the excluded characters.
    fn classes(&self) -> Result<Vec<Vec<char>>, PolicyError> {
        if self.length == 0 || self.length > MAX_LENGTH {
            return Err(PolicyError::InvalidLength);
        }
        let classes: Vec<Vec<char>> = [
            (LOWERCASE, self.exclude_lowercase),
            (UPPERCASE, self.exclude_uppercase),
            (DIGITS, self.exclude_numbers),
            (PUNCTUATION, self.exclude_punctuation),
        ]
        .into_iter()
        .filter(|(_, excluded)| !excluded)
        .map(|(class, _)| {
            class
                .chars()
                .filter(|c| !self.exclude_characters.contains(*c))
                .collect::<Vec<_>>()
        })
        .filter(|class| !class.is_empty())
        .collect();
        if classes.is_empty() {
            return Err(PolicyError::EmptyAlphabet);
        }
        if self.require_each_included_type && classes.len() > self.length {
            return Err(PolicyError::TooShortForEachType {
                length: self.length,
                classes: classes.len(),
            });
        }
        Ok(classes)
    }

    /// A new password from the operating system's CSPRNG-seeded generator.
    ///
    /// With `REQUIRE_EACH_INCLUDED_TYPE`, one character of each class is placed first and the
    /// whole password is then shuffled, so positions carry no information.
    pub fn generate(&self) -> Result<SecretString, PolicyError> {
        let classes = self.classes()?;
        let alphabet: Vec<char> = classes.iter().flatten().copied().collect();
        let mut rng = rand::rng();
        let mut password: Vec<char> = Vec::with_capacity(self.length);
        if self.require_each_included_type {
            password.extend(classes.iter().filter_map(|class| class.choose(&mut rng)));
        }
        while password.len() < self.length {
            password.push(alphabet[rng.random_range(0..alphabet.len())]);
        }
        password.shuffle(&mut rng);
        Ok(SecretString::from(password.into_iter().collect::<String>()))
    }
}

/// Where new passwords come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PasswordSource {
    /// Generated in the function with a CSPRNG: one Secrets Manager call fewer per rotation.
    #[default]
    Local,
    /// Secrets Manager's GetRandomPassword, as AWS's functions do.
    SecretsManager,
}

impl PasswordSource {
    /// The environment variable that selects the source: `local` (default) or `secretsmanager`.
    pub const VARIABLE: &'static str = "ROTOR_PASSWORD_SOURCE";

    /// Parses the variable's value.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "" | "local" => Some(Self::Local),
            "secretsmanager" | "secrets-manager" | "getrandompassword" => Some(Self::SecretsManager),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn policy(vars: &[(&str, &str)], default_exclude: &str) -> Result<PasswordPolicy, PolicyError> {
        let vars: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        PasswordPolicy::from_lookup(default_exclude, |name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_match_aws() {
        let policy = policy(&[], ":/@").unwrap();
        assert_eq!(policy.length(), 32);
        assert!(policy.require_each_included_type());
        assert!(!policy.exclude_numbers() && !policy.exclude_punctuation());
        let password = policy.generate().unwrap();
        let password = password.expose_secret();
        assert_eq!(password.chars().count(), 32);
        assert!(!password.chars().any(|c| ":/@".contains(c)));
    }

    #[test]
    fn every_included_type_appears_when_required() {
        let policy = policy(&[("PASSWORD_LENGTH", "4")], DEFAULT_EXCLUDE_CHARACTERS).unwrap();
        for _ in 0..200 {
            let password = policy.generate().unwrap();
            let password = password.expose_secret();
            assert!(password.chars().any(|c| c.is_ascii_lowercase()));
            assert!(password.chars().any(|c| c.is_ascii_uppercase()));
            assert!(password.chars().any(|c| c.is_ascii_digit()));
            assert!(password.chars().any(|c| PUNCTUATION.contains(c)));
        }
    }

    #[test]
    fn exclusion_flags_use_aws_truthiness() {
        let policy = policy(
            &[
                ("EXCLUDE_PUNCTUATION", "Yes"),
                ("EXCLUDE_NUMBERS", "1"),
                ("EXCLUDE_UPPERCASE", "no"),
            ],
            DEFAULT_EXCLUDE_CHARACTERS,
        )
        .unwrap();
        let password = policy.generate().unwrap();
        assert!(password.expose_secret().chars().all(|c| c.is_ascii_alphabetic()));
        assert!(password.expose_secret().chars().any(|c| c.is_ascii_uppercase()));
    }

    #[test]
    fn excluded_characters_never_appear() {
        let policy = policy(
            &[
                ("EXCLUDE_CHARACTERS", "abcdefghijklmnopqrstuvwxy0123456789"),
                ("PASSWORD_LENGTH", "512"),
            ],
            "",
        )
        .unwrap();
        let password = policy.generate().unwrap();
        assert!(
            !password
                .expose_secret()
                .chars()
                .any(|c| "abcdefghijklmnopqrstuvwxy0123456789".contains(c))
        );
        assert!(password.expose_secret().contains('z'));
    }

    #[test]
    fn impossible_policies_are_typed_errors() {
        assert_eq!(
            policy(&[("PASSWORD_LENGTH", "0")], "").unwrap_err(),
            PolicyError::InvalidLength
        );
        assert_eq!(
            policy(&[("PASSWORD_LENGTH", "4097")], "").unwrap_err(),
            PolicyError::InvalidLength
        );
        assert_eq!(
            policy(&[("PASSWORD_LENGTH", "twelve")], "").unwrap_err(),
            PolicyError::InvalidLength
        );
        assert_eq!(
            policy(&[("PASSWORD_LENGTH", "3")], "").unwrap_err(),
            PolicyError::TooShortForEachType {
                length: 3,
                classes: 4
            }
        );
        let all = [
            ("EXCLUDE_NUMBERS", "true"),
            ("EXCLUDE_PUNCTUATION", "true"),
            ("EXCLUDE_UPPERCASE", "true"),
            ("EXCLUDE_LOWERCASE", "true"),
        ];
        assert_eq!(policy(&all, "").unwrap_err(), PolicyError::EmptyAlphabet);
    }

    #[test]
    fn every_policy_error_names_its_variable_in_the_message_and_the_error_type() {
        use crate::Classify;
        let errors = [
            PolicyError::InvalidLength,
            PolicyError::EmptyAlphabet,
            PolicyError::TooShortForEachType {
                length: 3,
                classes: 4,
            },
            PolicyError::UnknownSource,
        ];
        for error in errors {
            assert_eq!(error.error_type(), format!("InvalidSetting.{}", error.variable()));
            let variable = error.variable().trim_end_matches('*');
            assert!(error.to_string().contains(variable), "{error}");
        }
    }

    #[test]
    fn two_passwords_differ() {
        let policy = PasswordPolicy::new(DEFAULT_EXCLUDE_CHARACTERS);
        assert_ne!(
            policy.generate().unwrap().expose_secret(),
            policy.generate().unwrap().expose_secret()
        );
    }

    #[test]
    fn password_source_parses_known_names_only() {
        assert_eq!(PasswordSource::parse("LOCAL"), Some(PasswordSource::Local));
        assert_eq!(
            PasswordSource::parse("secretsmanager"),
            Some(PasswordSource::SecretsManager)
        );
        assert_eq!(PasswordSource::parse("dice"), None);
    }
}
