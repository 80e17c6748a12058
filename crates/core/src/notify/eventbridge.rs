use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use tokio::sync::OnceCell;

use super::{DETAIL_TYPE, NotificationError, NotifyFuture, RotationNotice, RotationNotifier, SOURCE};
use crate::secrets_manager::message_chain;

/// Rotation notices as EventBridge events through `aws-sdk-eventbridge`.
///
/// [`EventBridgeNotifier::from_env`] builds the client on first use, from the same SDK
/// configuration (HTTP client, TLS stack, credentials, region, retries) as the Secrets Manager
/// client, once per process. `AWS_ENDPOINT_URL_EVENTBRIDGE` and `AWS_ENDPOINT_URL` are honoured
/// by the SDK.
#[derive(Debug, Default)]
pub struct EventBridgeNotifier {
    bus: String,
    client: OnceCell<Client>,
}

impl EventBridgeNotifier {
    /// Publishes to `bus` (a name or an ARN) with `client`.
    pub fn new(bus: impl Into<String>, client: Client) -> Self {
        Self {
            bus: bus.into(),
            client: OnceCell::new_with(Some(client)),
        }
    }

    /// Publishes to the bus named by [`EVENT_BUS_VARIABLE`](super::EVENT_BUS_VARIABLE), with a
    /// client built on first use from the shared SDK configuration; `None` when the variable is
    /// unset or empty.
    pub fn from_env() -> Option<Self> {
        let bus = std::env::var(super::EVENT_BUS_VARIABLE).ok()?;
        let bus = bus.trim();
        (!bus.is_empty()).then(|| Self {
            bus: bus.to_owned(),
            client: OnceCell::new(),
        })
    }

    /// The bus name or ARN.
    pub fn bus(&self) -> &str {
        &self.bus
    }

    async fn client(&self) -> &Client {
        self.client
            .get_or_init(|| async { Client::new(crate::secrets_manager::shared_sdk_config().await) })
            .await
    }

    async fn put(&self, notice: &RotationNotice) -> Result<(), NotificationError> {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(DETAIL_TYPE)
            .resources(&notice.secret_arn)
            .detail(notice.detail().to_string())
            .build();
        let answer = self
            .client()
            .await
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|error| match &error {
                SdkError::ServiceError(service) => NotificationError::Refused {
                    bus: self.bus.clone(),
                    code: service.err().code().unwrap_or("Unknown").to_owned(),
                    message: service.err().message().unwrap_or_default().to_owned(),
                },
                _ => NotificationError::Transport {
                    bus: self.bus.clone(),
                    reason: message_chain(&error),
                },
            })?;
        // PutEvents answers 200 and reports a refused entry inside the answer.
        match answer.entries().iter().find(|entry| entry.error_code().is_some()) {
            Some(failed) => Err(NotificationError::Refused {
                bus: self.bus.clone(),
                code: failed.error_code().unwrap_or("Unknown").to_owned(),
                message: failed.error_message().unwrap_or_default().to_owned(),
            }),
            None if answer.failed_entry_count() > 0 => Err(NotificationError::Refused {
                bus: self.bus.clone(),
                code: "FailedEntry".to_owned(),
                message: "PutEvents reported a failed entry".to_owned(),
            }),
            None => Ok(()),
        }
    }
}

impl RotationNotifier for EventBridgeNotifier {
    fn publish<'a>(&'a self, notice: &'a RotationNotice) -> NotifyFuture<'a> {
        Box::pin(self.put(notice))
    }
}
