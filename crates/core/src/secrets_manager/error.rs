//! Errors of the Secrets Manager port, and the names callers match them by.

use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};

use crate::error::ErrorClass;

/// AWS error codes that any AWS service may answer with and that the Secrets Manager model does
/// not define as types: the SDK reports them as unhandled errors that carry only the code. The
/// codes the model does define are matched as the SDK's typed [`aws_sdk_secretsmanager::Error`].
pub mod codes {
    /// Throttling. The SDK's standard retry mode has already backed off when one reaches the port.
    pub const THROTTLING: &[&str] = &[
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
    ];
    /// The caller may not make the call, or the service does not accept its credentials.
    pub const ACCESS_DENIED: &[&str] = &[
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
    ];
    /// The credentials' session token has expired (temporary credentials: STS, SSO, a role).
    pub const EXPIRED_TOKEN: &[&str] = &["ExpiredTokenException", "ExpiredToken"];
    /// A parameter failed validation outside the model's `InvalidParameterException`.
    pub const INVALID_PARAMETER: &[&str] = &["InvalidParameterValue", "ValidationException"];
    /// The service failed; retrying later may succeed.
    pub const INTERNAL_SERVICE_ERROR: &str = "InternalServiceError";
}

/// A failed Secrets Manager call, mapped from the service's error codes.
///
/// Messages come from the service or the transport; Secrets Manager never puts secret values
/// into them. Match a variant, or compare [`SecretsManagerError::error_type`] with the constants
/// on this type ([`SecretsManagerError::THROTTLED`], …), never with a literal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretsManagerError {
    /// `ResourceNotFoundException`: no such secret, version, label, or no value in the version.
    #[error("resource not found: {0}")]
    ResourceNotFound(String),
    /// `ResourceExistsException`: the ClientRequestToken is already used for a different value.
    #[error("resource exists: {0}")]
    ResourceExists(String),
    /// `InvalidParameterException` or a validation error.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
    /// `InvalidRequestException`: the call is not valid for the secret's current state.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// `AccessDeniedException`, credentials the service does not recognise, a KMS decryption
    /// failure, or an HTTP 403 whose body names no error code.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// `ExpiredTokenException`: the session token of temporary credentials has expired.
    #[error("expired credentials: {0}")]
    ExpiredCredentials(String),
    /// Throttling; the SDK already retried with backoff.
    #[error("throttled: {0}")]
    Throttled(String),
    /// The request did not get a service answer: connect, DNS, TLS, timeout.
    #[error("transport failure: {0}")]
    Transport(String),
    /// Any other service error, with its code.
    #[error("{code}: {message}")]
    Service {
        /// The service's error code.
        code: String,
        /// The service's message.
        message: String,
    },
}

impl SecretsManagerError {
    /// [`error_type`](Self::error_type) of [`ResourceNotFound`](Self::ResourceNotFound).
    pub const RESOURCE_NOT_FOUND: &'static str = "ResourceNotFound";
    /// [`error_type`](Self::error_type) of [`ResourceExists`](Self::ResourceExists).
    pub const RESOURCE_EXISTS: &'static str = "ResourceExists";
    /// [`error_type`](Self::error_type) of [`InvalidParameter`](Self::InvalidParameter).
    pub const INVALID_PARAMETER: &'static str = "InvalidParameter";
    /// [`error_type`](Self::error_type) of [`InvalidRequest`](Self::InvalidRequest).
    pub const INVALID_REQUEST: &'static str = "InvalidRequest";
    /// [`error_type`](Self::error_type) of [`AccessDenied`](Self::AccessDenied).
    pub const ACCESS_DENIED: &'static str = "AccessDenied";
    /// [`error_type`](Self::error_type) of [`ExpiredCredentials`](Self::ExpiredCredentials).
    pub const EXPIRED_CREDENTIALS: &'static str = "ExpiredCredentials";
    /// [`error_type`](Self::error_type) of [`Throttled`](Self::Throttled).
    pub const THROTTLED: &'static str = "Throttled";
    /// [`error_type`](Self::error_type) of [`Transport`](Self::Transport).
    pub const UNREACHABLE: &'static str = "SecretsManagerUnreachable";
    /// [`error_type`](Self::error_type) of [`Service`](Self::Service).
    pub const SERVICE: &'static str = "SecretsManagerError";

    /// Whether this is `ResourceNotFoundException`.
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::ResourceNotFound(_))
    }

    /// Whether the service throttled the call.
    pub fn is_throttled(&self) -> bool {
        matches!(self, Self::Throttled(_))
    }

    /// Maps a service error code and message to a variant, for a code that is not one of the
    /// SDK's typed errors (see [`codes`]).
    pub fn from_code(code: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        match code {
            code if codes::THROTTLING.contains(&code) => Self::Throttled(message),
            code if codes::ACCESS_DENIED.contains(&code) => Self::AccessDenied(message),
            code if codes::EXPIRED_TOKEN.contains(&code) => Self::ExpiredCredentials(message),
            code if codes::INVALID_PARAMETER.contains(&code) => Self::InvalidParameter(message),
            other => Self::Service {
                code: other.to_owned(),
                message,
            },
        }
    }

    /// Maps a failed SDK call: a service answer by its typed error (or, for the codes the model
    /// does not define, by [`codes`]), anything else as [`Transport`](Self::Transport) with
    /// the error chain's messages on one line.
    ///
    /// An answer whose body the SDK could not read as the service's JSON (an authorisation layer,
    /// a proxy or an emulator answering in the XML error format) is read for its `<Code>` and
    /// `<Message>`; without them an HTTP 403 is still [`AccessDenied`](Self::AccessDenied).
    pub fn from_sdk<E>(error: SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        aws_sdk_secretsmanager::Error: From<SdkError<E, HttpResponse>>,
    {
        if !matches!(error, SdkError::ServiceError(_)) {
            return Self::Transport(message_chain(&error));
        }
        let status = error.raw_response().map(|response| response.status().as_u16());
        let xml = error
            .raw_response()
            .and_then(|response| response.body().bytes())
            .and_then(xml_error);
        let error = aws_sdk_secretsmanager::Error::from(error);
        match (error.code(), xml, status) {
            (None, Some((code, message)), _) => Self::from_code(&code, message),
            (None, None, Some(403)) => {
                Self::AccessDenied(format!("HTTP 403 Forbidden ({})", message_chain(&error)))
            }
            _ => Self::from_service(&error),
        }
    }

    /// A service answer, by the SDK's typed error.
    fn from_service(error: &aws_sdk_secretsmanager::Error) -> Self {
        use aws_sdk_secretsmanager::Error as Sdk;

        let answered = error.message().map(str::to_owned);
        let message = |own: Option<&str>| {
            own.map(str::to_owned)
                .or_else(|| answered.clone())
                .unwrap_or_default()
        };
        match error {
            Sdk::ResourceNotFoundException(typed) => Self::ResourceNotFound(message(typed.message())),
            Sdk::ResourceExistsException(typed) => Self::ResourceExists(message(typed.message())),
            Sdk::InvalidParameterException(typed) => Self::InvalidParameter(message(typed.message())),
            Sdk::InvalidRequestException(typed) => Self::InvalidRequest(message(typed.message())),
            Sdk::DecryptionFailure(typed) => Self::AccessDenied(message(typed.message())),
            Sdk::InternalServiceError(typed) => Self::Service {
                code: codes::INTERNAL_SERVICE_ERROR.to_owned(),
                message: message(typed.message()),
            },
            other => match other.code() {
                Some(code) => Self::from_code(code, message(None)),
                None => Self::Service {
                    code: "Unknown".to_owned(),
                    message: message_chain(other),
                },
            },
        }
    }

    /// The class of the failure.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Throttled(_) | Self::Transport(_) => ErrorClass::Transient,
            Self::Service { code, .. } if code == codes::INTERNAL_SERVICE_ERROR => ErrorClass::Transient,
            _ => ErrorClass::Permanent,
        }
    }

    /// A stable name for CloudWatch: one of the constants on this type.
    pub fn error_type(&self) -> &'static str {
        match self {
            Self::ResourceNotFound(_) => Self::RESOURCE_NOT_FOUND,
            Self::ResourceExists(_) => Self::RESOURCE_EXISTS,
            Self::InvalidParameter(_) => Self::INVALID_PARAMETER,
            Self::InvalidRequest(_) => Self::INVALID_REQUEST,
            Self::AccessDenied(_) => Self::ACCESS_DENIED,
            Self::ExpiredCredentials(_) => Self::EXPIRED_CREDENTIALS,
            Self::Throttled(_) => Self::THROTTLED,
            Self::Transport(_) => Self::UNREACHABLE,
            Self::Service { .. } => Self::SERVICE,
        }
    }
}

/// The `<Code>` and `<Message>` of an AWS XML error body (`<ErrorResponse><Errors><Error>…`).
fn xml_error(body: &[u8]) -> Option<(String, String)> {
    let body = std::str::from_utf8(body).ok()?;
    let element = |name: &str| {
        let (_, after) = body.split_once(&format!("<{name}>"))?;
        let (text, _) = after.split_once(&format!("</{name}>"))?;
        Some(
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        )
    };
    Some((element("Code")?, element("Message").unwrap_or_default()))
}

/// An error and its sources, by their `Display`, on one line: `a: b: c`, every run of white space
/// (line breaks too) one space. A source whose message
/// the previous one already ends with is left out (the SDK's layers often repeat it), and so is
/// the SDK's `Debug` rendering of the raw response, which `DisplayErrorContext` would append.
pub fn message_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(current) = next {
        let text = current
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() && !parts.last().is_some_and(|last| last.ends_with(&text)) {
            parts.push(text);
        }
        next = current.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("dispatch failure")]
    struct Outer(#[source] Inner);

    #[derive(Debug, thiserror::Error)]
    #[error("io error")]
    struct Inner(#[source] std::io::Error);

    #[test]
    fn a_message_chain_is_one_line_of_displays_without_repeats() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused");
        let chain = message_chain(&Outer(Inner(refused)));
        assert_eq!(chain, "dispatch failure: io error: Connection refused");
    }

    #[test]
    fn codes_outside_the_model_map_to_their_variants() {
        let throttled = SecretsManagerError::from_code("ThrottlingException", "slow down");
        assert!(throttled.is_throttled());
        assert_eq!(throttled.error_type(), SecretsManagerError::THROTTLED);
        assert_eq!(throttled.class(), ErrorClass::Transient);
        let expired = SecretsManagerError::from_code("ExpiredTokenException", "expired");
        assert_eq!(expired, SecretsManagerError::ExpiredCredentials("expired".into()));
        let denied = SecretsManagerError::from_code("AccessDeniedException", "no");
        assert_eq!(denied.error_type(), SecretsManagerError::ACCESS_DENIED);
        let other = SecretsManagerError::from_code("SomethingNew", "hm");
        assert_eq!(other.error_type(), SecretsManagerError::SERVICE);
        let internal = SecretsManagerError::from_code(codes::INTERNAL_SERVICE_ERROR, "oops");
        assert_eq!(internal.class(), ErrorClass::Transient);
    }

    #[test]
    fn an_xml_error_body_names_its_code_and_message() {
        let body = br#"<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: a &amp; b is not authorized</Message><Type>Sender</Type></Error></Errors></ErrorResponse>"#;
        assert_eq!(
            xml_error(body),
            Some(("AccessDenied".into(), "User: a & b is not authorized".into()))
        );
        assert_eq!(xml_error(br#"{"__type":"X"}"#), None);
    }

    #[test]
    fn typed_sdk_errors_map_without_their_codes() {
        use aws_sdk_secretsmanager::types::error::ResourceNotFoundException;
        let missing = aws_sdk_secretsmanager::Error::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("no such secret")
                .build(),
        );
        assert_eq!(
            SecretsManagerError::from_service(&missing),
            SecretsManagerError::ResourceNotFound("no such secret".into())
        );
    }
}
