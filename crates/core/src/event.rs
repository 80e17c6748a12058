//! The event Secrets Manager sends to a rotation function.

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use crate::error::RotationError;

/// One of the four rotation steps, spelled as Secrets Manager sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// `createSecret`: store a new value under AWSPENDING.
    CreateSecret,
    /// `setSecret`: make the service accept the pending value.
    SetSecret,
    /// `testSecret`: prove the pending value works.
    TestSecret,
    /// `finishSecret`: move AWSCURRENT to the pending version.
    FinishSecret,
}

impl Step {
    /// All steps, in the order Secrets Manager runs them.
    pub const ALL: [Step; 4] = [
        Step::CreateSecret,
        Step::SetSecret,
        Step::TestSecret,
        Step::FinishSecret,
    ];

    /// The wire spelling, e.g. `createSecret`.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::CreateSecret => "createSecret",
            Step::SetSecret => "setSecret",
            Step::TestSecret => "testSecret",
            Step::FinishSecret => "finishSecret",
        }
    }
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Step {
    type Err = RotationError;

    fn from_str(step: &str) -> Result<Self, Self::Err> {
        Step::ALL
            .into_iter()
            .find(|candidate| candidate.as_str() == step)
            .ok_or_else(|| RotationError::InvalidStep {
                step: step.chars().take(64).collect(),
            })
    }
}

/// The opaque token that proves which principal started the rotation.
///
/// Required by PutSecretValue for cross-account or assumed-role rotation. It is sensitive: it is
/// never logged and its `Debug` output is redacted.
#[derive(Clone)]
pub struct RotationToken(SecretString);

impl RotationToken {
    /// Wraps a token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(SecretString::from(token.into()))
    }

    /// The token, for the one place that must send it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for RotationToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RotationToken([REDACTED])")
    }
}

/// A rotation event: `{"Step", "SecretId", "ClientRequestToken", "RotationToken"?}`.
#[derive(Debug, Clone)]
pub struct RotationEvent {
    /// The secret's ARN (or name).
    pub secret_id: String,
    /// The version id of the new secret version.
    pub client_request_token: String,
    /// Which step to run.
    pub step: Step,
    /// Forwarded to PutSecretValue when present.
    pub rotation_token: Option<RotationToken>,
}

impl RotationEvent {
    /// An event without a RotationToken.
    pub fn new(secret_id: impl Into<String>, client_request_token: impl Into<String>, step: Step) -> Self {
        Self {
            secret_id: secret_id.into(),
            client_request_token: client_request_token.into(),
            step,
            rotation_token: None,
        }
    }

    /// Parses the JSON payload of a Lambda invocation.
    ///
    /// Unknown keys are ignored. A missing or non-string field is a
    /// [`RotationError::InvalidEvent`]; an unknown step is a [`RotationError::InvalidStep`].
    pub fn from_json(payload: &Value) -> Result<Self, RotationError> {
        let object = payload.as_object().ok_or_else(|| RotationError::InvalidEvent {
            reason: "the payload is not a JSON object".into(),
        })?;
        let field = |name: &str| -> Result<Option<&str>, RotationError> {
            match object.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.as_str())),
                Some(_) => Err(RotationError::InvalidEvent {
                    reason: format!("{name} is not a string"),
                }),
            }
        };
        let required = |name: &str| -> Result<String, RotationError> {
            match field(name)? {
                Some(text) if !text.is_empty() => Ok(text.to_owned()),
                _ => Err(RotationError::InvalidEvent {
                    reason: format!("{name} is missing"),
                }),
            }
        };
        Ok(Self {
            secret_id: required("SecretId")?,
            client_request_token: required("ClientRequestToken")?,
            step: required("Step")?.parse()?,
            rotation_token: field("RotationToken")?.map(RotationToken::new),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_every_step_in_camel_case() {
        for step in Step::ALL {
            let event = RotationEvent::from_json(&json!({
                "Step": step.as_str(), "SecretId": "arn:s", "ClientRequestToken": "t"
            }))
            .unwrap();
            assert_eq!(event.step, step);
            assert!(event.rotation_token.is_none());
        }
    }

    #[test]
    fn unknown_and_snake_case_steps_are_typed_errors() {
        for step in ["create_secret", "CreateSecret", "rollback", ""] {
            let error = RotationEvent::from_json(&json!({
                "Step": step, "SecretId": "arn:s", "ClientRequestToken": "t"
            }))
            .unwrap_err();
            assert!(
                matches!(
                    error,
                    RotationError::InvalidStep { .. } | RotationError::InvalidEvent { .. }
                ),
                "{error:?}"
            );
        }
    }

    #[test]
    fn missing_fields_are_named() {
        let error = RotationEvent::from_json(&json!({"Step": "setSecret", "SecretId": "s"})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid rotation event: ClientRequestToken is missing"
        );
        let error = RotationEvent::from_json(&json!([1, 2])).unwrap_err();
        assert!(matches!(error, RotationError::InvalidEvent { .. }));
        let error = RotationEvent::from_json(&json!({"Step": 1, "SecretId": "s", "ClientRequestToken": "t"}))
            .unwrap_err();
        assert_eq!(error.to_string(), "invalid rotation event: Step is not a string");
    }

    #[test]
    fn rotation_token_is_kept_but_never_printed() {
        let event = RotationEvent::from_json(&json!({
            "Step": "createSecret", "SecretId": "s", "ClientRequestToken": "t",
            "RotationToken": "token-value-that-must-not-leak"
        }))
        .unwrap();
        assert_eq!(
            event.rotation_token.as_ref().unwrap().expose(),
            "token-value-that-must-not-leak"
        );
        assert!(!format!("{event:?}").contains("must-not-leak"));
    }
}
