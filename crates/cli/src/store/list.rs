//! Finding the secrets of a fleet: ListSecrets on AWS, the model's secrets locally.

use std::collections::HashSet;

use aws_sdk_secretsmanager::types::{Filter as SdkFilter, FilterNameStringType};
use rotor_core::{SecretsManager, SecretsManagerError};

use super::{AwsStore, LocalStore};

/// Which secrets a fleet rotation takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// Every secret.
    Any,
    /// Names that start with this prefix (case-sensitive, as the service's `name` filter).
    NamePrefix(String),
    /// Secrets carrying this tag with this value.
    Tag {
        /// The tag key.
        key: String,
        /// The tag value.
        value: String,
    },
}

/// Characters a secret name may hold (Secrets Manager's rule): a name prefix with any other
/// character can match no secret, so it is refused as a filter the CLI does not understand.
const NAME_PUNCTUATION: &str = "/_+=.@-";

impl Filter {
    /// The fleet commands' filter syntax: `TAG=VALUE` (exactly one `=`, a key and a value) is a
    /// tag filter; otherwise a name prefix, made of the characters a secret name may hold.
    ///
    /// Refused as unknown, because they can only be a typo or another tool's syntax: nothing
    /// (empty or blank), a tag without a key (`=x`) or without a value (`team=`), more than one
    /// `=` (`a=b=c`), and a prefix with a character no secret name has (`name:prod`, `prod *`).
    ///
    /// # Errors
    /// Why the text is not a filter, as one sentence.
    pub(crate) fn parse(text: &str) -> Result<Self, &'static str> {
        if text.trim().is_empty() {
            return Err("a filter is a name prefix or TAG=VALUE");
        }
        if let Some((key, value)) = text.split_once('=') {
            if key.trim().is_empty() {
                return Err("a tag filter needs a tag key before '=' (TAG=VALUE)");
            }
            if value.contains('=') {
                return Err("a tag filter has one '=' (TAG=VALUE)");
            }
            if value.is_empty() {
                return Err("a tag filter needs a value after '=' (TAG=VALUE)");
            }
            return Ok(Self::Tag {
                key: key.to_owned(),
                value: value.to_owned(),
            });
        }
        let name_character = |c: char| c.is_ascii_alphanumeric() || NAME_PUNCTUATION.contains(c);
        if !text.chars().all(name_character) {
            return Err(
                "a name prefix has only the characters of secret names (letters, digits and /_+=.@-); \
                 a tag filter is TAG=VALUE",
            );
        }
        Ok(Self::NamePrefix(text.to_owned()))
    }

    fn matches(&self, name: &str, tags: &[(String, String)]) -> bool {
        match self {
            Self::Any => true,
            Self::NamePrefix(prefix) => name.starts_with(prefix.as_str()),
            Self::Tag { key, value } => tags.iter().any(|(k, v)| k == key && v == value),
        }
    }

    /// The service-side filters; results are still checked exactly, because the service
    /// matches tag keys and tag values independently.
    fn to_sdk(&self) -> Vec<SdkFilter> {
        let filter =
            |key: FilterNameStringType, value: &str| SdkFilter::builder().key(key).values(value).build();
        match self {
            Self::Any => Vec::new(),
            Self::NamePrefix(prefix) => vec![filter(FilterNameStringType::Name, prefix)],
            Self::Tag { key, value } => vec![
                filter(FilterNameStringType::TagKey, key),
                filter(FilterNameStringType::TagValue, value),
            ],
        }
    }
}

impl std::fmt::Display for Filter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Any => f.write_str("every secret"),
            Self::NamePrefix(prefix) => write!(f, "names starting with {prefix:?}"),
            Self::Tag { key, value } => write!(f, "tag {key}={value}"),
        }
    }
}

/// One secret of the fleet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretEntry {
    /// Its ARN, which the rotation events carry.
    pub(crate) arn: String,
    /// Its name.
    pub(crate) name: String,
}

/// The local store's secrets, in creation order.
pub(super) async fn local(
    store: &LocalStore,
    filter: &Filter,
) -> Result<Vec<SecretEntry>, SecretsManagerError> {
    let mut entries = Vec::new();
    for arn in store.model().secret_arns() {
        let description = store.model().describe_secret(&arn).await?;
        if filter.matches(&description.name, &description.tags) {
            entries.push(SecretEntry {
                arn,
                name: description.name,
            });
        }
    }
    Ok(entries)
}

/// ListSecrets with the filter, every page, each ARN once.
pub(super) async fn aws(store: &AwsStore, filter: &Filter) -> Result<Vec<SecretEntry>, SecretsManagerError> {
    let mut entries = Vec::new();
    let mut seen = HashSet::new();
    let mut next_token: Option<String> = None;
    loop {
        let page = store
            .client()
            .list_secrets()
            .set_filters(Some(filter.to_sdk()).filter(|filters| !filters.is_empty()))
            .max_results(100)
            .set_next_token(next_token.take())
            .send()
            .await
            .map_err(SecretsManagerError::from_sdk)?;
        for secret in page.secret_list() {
            let (Some(arn), Some(name)) = (secret.arn(), secret.name()) else {
                continue;
            };
            let tags: Vec<(String, String)> = secret
                .tags()
                .iter()
                .map(|tag| {
                    let key = tag.key().unwrap_or_default().to_owned();
                    (key, tag.value().unwrap_or_default().to_owned())
                })
                .collect();
            if filter.matches(name, &tags) && seen.insert(arn.to_owned()) {
                entries.push(SecretEntry {
                    arn: arn.to_owned(),
                    name: name.to_owned(),
                });
            }
        }
        next_token = page.next_token().map(str::to_owned);
        if next_token.is_none() {
            return Ok(entries);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_filter_with_an_equals_sign_is_a_tag() {
        assert_eq!(
            Filter::parse("team=payments"),
            Ok(Filter::Tag {
                key: "team".into(),
                value: "payments".into()
            })
        );
        assert_eq!(
            Filter::parse("aws:cloudformation:stack-name=db"),
            Ok(Filter::Tag {
                key: "aws:cloudformation:stack-name".into(),
                value: "db".into()
            }),
            "tag keys may hold colons"
        );
        assert_eq!(
            Filter::parse("prod/db-"),
            Ok(Filter::NamePrefix("prod/db-".into()))
        );
        let parsed = |text| Filter::parse(text).unwrap();
        let tags = [("team".to_owned(), "payments".to_owned())];
        assert!(parsed("team=payments").matches("x", &tags));
        assert!(!parsed("team=pay").matches("x", &tags));
        assert!(parsed("prod/").matches("prod/a", &[]));
        assert!(!parsed("prod/").matches("staging/prod/a", &[]));
    }

    #[test]
    fn filters_that_mean_nothing_are_refused() {
        for text in [
            "",
            "  ",
            "=payments",
            "team=a=b",
            "foo=bar=baz",
            "team=",
            "name:prod",
            "prod *",
        ] {
            assert!(Filter::parse(text).is_err(), "{text:?}");
        }
        assert_eq!(
            Filter::parse("name:prod"),
            Err(
                "a name prefix has only the characters of secret names (letters, digits and /_+=.@-); \
                 a tag filter is TAG=VALUE"
            )
        );
    }
}
