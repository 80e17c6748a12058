//! Requests and answers of the Secrets Manager port.

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::event::RotationToken;
use crate::secret::SecretValue;
use crate::stage::StagingLabel;

/// What DescribeSecret says about a secret, as far as rotation cares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecretDescription {
    /// The secret's ARN.
    pub arn: String,
    /// The secret's name.
    pub name: String,
    /// `RotationEnabled`; `None` when the service leaves it out.
    pub rotation_enabled: Option<bool>,
    /// `VersionIdsToStages`.
    pub versions: BTreeMap<String, Vec<String>>,
    /// `LastRotatedDate`.
    pub last_rotated: Option<SystemTime>,
    /// `LastChangedDate`.
    pub last_changed: Option<SystemTime>,
    /// The secret's tags.
    pub tags: Vec<(String, String)>,
}

impl SecretDescription {
    /// Whether the version carries the label.
    pub fn has_label(&self, version_id: &str, label: StagingLabel) -> bool {
        self.versions
            .get(version_id)
            .is_some_and(|labels| labels.iter().any(|l| l == label.as_str()))
    }

    /// The version that carries the label, if any.
    pub fn version_with(&self, label: StagingLabel) -> Option<&str> {
        self.versions
            .iter()
            .find(|(_, labels)| labels.iter().any(|l| l == label.as_str()))
            .map(|(id, _)| id.as_str())
    }
}

/// Which version GetSecretValue reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionSelector<'a> {
    /// A version id.
    pub version_id: Option<&'a str>,
    /// A staging label.
    pub stage: Option<StagingLabel>,
}

impl<'a> VersionSelector<'a> {
    /// The version carrying a label.
    pub fn stage(stage: StagingLabel) -> Self {
        Self {
            version_id: None,
            stage: Some(stage),
        }
    }

    /// One version by id.
    pub fn version(version_id: &'a str) -> Self {
        Self {
            version_id: Some(version_id),
            stage: None,
        }
    }

    /// The AWSPENDING value of one rotation: by its token and the label together.
    pub fn pending(token: &'a str) -> Self {
        Self {
            version_id: Some(token),
            stage: Some(StagingLabel::Pending),
        }
    }
}

/// One version with its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretVersion {
    /// The version id.
    pub version_id: String,
    /// The value.
    pub value: SecretValue,
    /// The staging labels on this version.
    pub stages: Vec<String>,
}

/// One entry of ListSecretVersionIds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSummary {
    /// The version id.
    pub version_id: String,
    /// The staging labels on this version (empty for a deprecated version).
    pub stages: Vec<String>,
    /// When the version was created.
    pub created: Option<SystemTime>,
}

/// A PutSecretValue request.
#[derive(Debug, Clone)]
pub struct PutSecretValue<'a> {
    /// The secret.
    pub secret_id: &'a str,
    /// The ClientRequestToken, which becomes the version id.
    pub client_request_token: &'a str,
    /// The value.
    pub value: &'a SecretValue,
    /// The labels to attach.
    pub stages: &'a [StagingLabel],
    /// The event's RotationToken, forwarded when present.
    pub rotation_token: Option<&'a RotationToken>,
}

/// An UpdateSecretVersionStage request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateVersionStage<'a> {
    /// The secret.
    pub secret_id: &'a str,
    /// The label to move.
    pub stage: StagingLabel,
    /// Where the label goes.
    pub move_to: Option<&'a str>,
    /// Where the label comes from.
    pub remove_from: Option<&'a str>,
}
