//! The rotation function: one DescribeSecret, the preamble, then one step.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::context::SecretContext;
use crate::deadline::Deadline;
use crate::error::RotationError;
use crate::event::{RotationEvent, Step};
use crate::notify::{NotificationError, RotationNotice, RotationNotifier};
use crate::outcome::StepOutcome;
use crate::preamble::{self, Preamble};
use crate::rds::RdsApi;
use crate::redshift::RedshiftApi;
use crate::rotator::Rotator;
use crate::secrets_manager::{SecretDescription, SecretsManager};
use crate::settings::RotationSettings;
use crate::stage::StagingLabel;
use crate::steps;

/// Time kept back from the Lambda deadline so a slow step still reports a typed error.
pub const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// A rotator bound to a Secrets Manager port: what a Lambda invocation, the CLI and the test kit
/// all run.
#[derive(Debug)]
pub struct RotationFunction<R, S> {
    rotator: R,
    secrets: S,
    settings: RotationSettings,
    rds: Option<Arc<dyn RdsApi>>,
    redshift: Option<Arc<dyn RedshiftApi>>,
    notifier: Option<Arc<dyn RotationNotifier>>,
}

impl<R: Rotator, S: SecretsManager> RotationFunction<R, S> {
    /// Binds a rotator to a Secrets Manager port.
    pub fn new(rotator: R, secrets: S, settings: RotationSettings) -> Self {
        Self {
            rotator,
            secrets,
            settings,
            rds: None,
            redshift: None,
            notifier: None,
        }
    }

    /// Gives rotators the RDS API ([`SecretContext::rds`]), which completes RDS-managed master
    /// secrets and proves that replicas and reader endpoints belong to their master's database.
    #[must_use]
    pub fn with_rds(mut self, rds: Arc<dyn RdsApi>) -> Self {
        self.rds = Some(rds);
        self
    }

    /// Gives rotators the Redshift API ([`SecretContext::redshift`]), which completes
    /// Redshift-managed master secrets (a provisioned cluster's or a Serverless namespace's admin
    /// secret) with their endpoint.
    #[must_use]
    pub fn with_redshift(mut self, redshift: Arc<dyn RedshiftApi>) -> Self {
        self.redshift = Some(redshift);
        self
    }

    /// Publishes a [`RotationNotice`] after every successful finishSecret (AWSCURRENT moved and
    /// the finish hook done), a retried one included. A failure to publish is logged as a
    /// [`NotificationError`](crate::notify::NotificationError) and does not fail the step.
    #[must_use]
    pub fn with_notifier(mut self, notifier: Arc<dyn RotationNotifier>) -> Self {
        self.notifier = Some(notifier);
        self
    }

    /// The rotator.
    pub fn rotator(&self) -> &R {
        &self.rotator
    }

    /// The Secrets Manager port.
    pub fn secrets(&self) -> &S {
        &self.secrets
    }

    /// Runs one invocation: exactly one DescribeSecret, the preamble, then the event's step,
    /// all bounded by `deadline`.
    pub async fn invoke(
        &self,
        event: &RotationEvent,
        deadline: Deadline,
    ) -> Result<StepOutcome, RotationError> {
        let step = event.step;
        tracing::info!(secret_id = %event.secret_id, token = %event.client_request_token, %step, "rotation step started");
        let result = if deadline.remaining().is_zero() {
            Err(RotationError::DeadlineExceeded { step })
        } else {
            // Boxed: a rotator's step futures embed its driver's deep futures, and a Lambda
            // binary's `main` would otherwise exceed the compiler's layout depth limit.
            match tokio::time::timeout_at(deadline.instant(), Box::pin(self.run(event, deadline))).await {
                Ok(result) => result,
                Err(_elapsed) => Err(RotationError::DeadlineExceeded { step }),
            }
        };
        match &result {
            Ok(outcome) => {
                tracing::info!(secret_id = %event.secret_id, %step, %outcome, "rotation step succeeded")
            }
            Err(error) => tracing::error!(
                secret_id = %event.secret_id,
                %step,
                error_type = crate::Classify::error_type(error),
                %error,
                "rotation step failed"
            ),
        }
        result
    }

    async fn run(&self, event: &RotationEvent, deadline: Deadline) -> Result<StepOutcome, RotationError> {
        let description = self
            .secrets
            .describe_secret(&event.secret_id)
            .await
            .map_err(|source| RotationError::secrets_manager("DescribeSecret", source))?;
        let preamble = preamble::check(&description, event)?;
        let secret = SecretContext::new(
            &self.secrets,
            event,
            &description,
            &self.settings,
            deadline,
            self.rds.as_deref(),
            self.redshift.as_deref(),
        );
        if preamble == Preamble::AlreadyCurrent {
            // A finishSecret that crashed or failed after moving the label is completed here.
            if event.step == Step::FinishSecret {
                let previous = description
                    .version_with(StagingLabel::Previous)
                    .map(str::to_owned);
                steps::after_finish(&self.rotator, secret, previous.clone()).await?;
                self.notify(&description, event, previous, deadline).await;
            }
            return Ok(StepOutcome::AlreadyCurrent);
        }
        match event.step {
            Step::CreateSecret => steps::create_secret(&self.rotator, &self.secrets, secret).await,
            Step::SetSecret => steps::set_secret(&self.rotator, secret).await,
            Step::TestSecret => steps::test_secret(&self.rotator, secret).await,
            Step::FinishSecret => {
                let outcome = steps::finish_secret(&self.rotator, &self.secrets, secret).await?;
                if let StepOutcome::Finished { previous_version } = &outcome {
                    self.notify(&description, event, previous_version.clone(), deadline)
                        .await;
                }
                Ok(outcome)
            }
        }
    }

    /// Publishes the notice of a completed finishSecret, if a notifier is set; logs a failure.
    /// Bounded by half the remaining time, so a bus that does not answer cannot make the
    /// completed step miss its deadline.
    async fn notify(
        &self,
        description: &SecretDescription,
        event: &RotationEvent,
        previous_version_id: Option<String>,
        deadline: Deadline,
    ) {
        let Some(notifier) = &self.notifier else {
            return;
        };
        let notice = RotationNotice {
            secret_arn: description.arn.clone(),
            version_id: event.client_request_token.clone(),
            previous_version_id,
            rotator: self.rotator.name(),
            rotated_at: crate::notify::rfc3339(SystemTime::now()),
        };
        let published = match tokio::time::timeout(deadline.remaining() / 2, notifier.publish(&notice)).await
        {
            Ok(published) => published,
            Err(_elapsed) => Err(NotificationError::Transport {
                bus: String::from("(configured bus)"),
                reason: "no answer before the invocation deadline".to_owned(),
            }),
        };
        match published {
            Ok(()) => tracing::info!(secret_id = %event.secret_id, "rotation notification published"),
            Err(error) => tracing::error!(
                secret_id = %event.secret_id,
                error_type = crate::Classify::error_type(&error),
                %error,
                "rotation notification failed; the rotation itself succeeded"
            ),
        }
    }
}
