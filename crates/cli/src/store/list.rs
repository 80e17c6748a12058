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

impl Filter {
    /// `KEY=VALUE` is a tag filter; anything else is a name prefix.
    pub(crate) fn parse(text: &str) -> Self {
        match text.split_once('=') {
            Some((key, value)) => Self::Tag {
                key: key.to_owned(),
                value: value.to_owned(),
            },
            None => Self::NamePrefix(text.to_owned()),
        }
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
            Filter::Tag {
                key: "team".into(),
                value: "payments".into()
            }
        );
        assert_eq!(Filter::parse("prod/db-"), Filter::NamePrefix("prod/db-".into()));
        let tags = [("team".to_owned(), "payments".to_owned())];
        assert!(Filter::parse("team=payments").matches("x", &tags));
        assert!(!Filter::parse("team=pay").matches("x", &tags));
        assert!(Filter::parse("prod/").matches("prod/a", &[]));
        assert!(!Filter::parse("prod/").matches("staging/prod/a", &[]));
    }
}
