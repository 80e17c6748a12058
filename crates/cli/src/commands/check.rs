//! `rotor check`: a migration preflight that changes nothing. For one secret or a fleet, it runs
//! what testSecret's configuration test runs, plus what the rotator needs to rotate, and prints
//! one verdict per secret with the first failing check and what to do.
//!
//! Nothing is written, by construction: the checks run inside a rotation function invoked for
//! testSecret, over a view of the store that refuses PutSecretValue and
//! UpdateSecretVersionStage ([`read_only::ReadOnly`]), with a rotator whose only working step
//! is the configuration test ([`preflight::Preflight`]); the database sees logins and the
//! engine's read-only identity checks only.

mod advice;
mod preflight;
mod read_only;
mod remote;

use std::sync::Arc;
use std::time::Duration;

use rotor_core::database::UsernameSetting;
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    Deadline, PasswordSource, RotationError, RotationEvent, RotationFunction, RotationSettings, Rotator,
    SecretDescription, SecretsManager, SecretsManagerError, StagingLabel, Step,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use self::preflight::{Check, DatabaseChecks, EngineChecks, Preflight, Progress, Strategy};
use self::read_only::ReadOnly;
use crate::cli::CheckArgs;
use crate::engines::{SecretEngine, engine_of, mismatch};
use crate::output::{Exit, Output};
use crate::rotation::stuck_pending;
use crate::rotators::RotatorName;
use crate::store::{Filter, Store, report_access};

/// What `rotor check` prints for each secret.
#[derive(Debug)]
struct Verdict {
    /// The secret's name, or the id it was given.
    secret: String,
    /// The checks that passed, in order.
    passed: Vec<Check>,
    /// The first check that failed, if any.
    failed: Option<Failed>,
}

/// The first failing check of a secret.
#[derive(Debug)]
struct Failed {
    check: Check,
    /// The typed error's message; holds no secret value.
    message: String,
    what_to_do: String,
}

/// One secret of the run, as read before any check.
#[derive(Debug)]
struct Target {
    id: String,
    description: Option<SecretDescription>,
    engine: Option<String>,
    unreadable: Option<SecretsManagerError>,
}

/// Runs `rotor check`.
pub(crate) async fn run(store: Store, store_line: &str, args: CheckArgs, output: Output) -> Exit {
    let Some(rotator_name) = args.rotator else {
        return remote::run(store, store_line, &args, output).await;
    };
    let inner = match rotator_name.build() {
        Ok(rotator) => rotator,
        Err(problem) => {
            output.note(format!(
                "error: the rotator's settings in the environment are unusable: {problem}"
            ));
            return Exit::Failure;
        }
    };
    let settings = match RotationSettings::from_env(inner.default_exclude_characters()) {
        Ok(settings) => settings,
        Err(error) => {
            output.note(format!(
                "error: the password settings in the environment are unusable: {error}"
            ));
            return Exit::Failure;
        }
    };
    let checks = match engine_checks(rotator_name) {
        Ok(checks) => checks,
        Err(problem) => {
            output.note(format!(
                "error: the rotator's settings in the environment are unusable: {problem}"
            ));
            return Exit::Failure;
        }
    };
    let rotator = rotator_name.as_str();
    let ids = match secret_ids(&store, &args, store_line, output).await {
        Ok(ids) => ids,
        Err(exit) => return exit,
    };
    let mut targets = Vec::new();
    for id in ids {
        match read(&store, id).await {
            Ok(target) => targets.push(target),
            Err(exit) => return report_access(output, &exit),
        }
    }
    let engines: Vec<SecretEngine> = targets
        .iter()
        .map(|target| SecretEngine {
            name: verdict_name(&target.id, target.description.as_ref()),
            engine: target.engine.clone(),
        })
        .collect();
    if let Some(line) = mismatch(rotator_name, &engines) {
        output.note(format!("error: {line}"));
        return Exit::Failure;
    }
    output.line(format!(
        "checking {} secret(s) with {rotator} on {store_line}; nothing is written",
        targets.len()
    ));
    let context = Arc::new(Context {
        store,
        rotator,
        timeout: Duration::from_secs(args.step_timeout),
        settings,
    });
    let verdicts = check_all(&context, targets, &checks, &inner, usize::from(args.concurrency)).await;
    print(&verdicts, args.all, output)
}

/// Checks every target, at most `concurrency` at once; the verdicts in the targets' order.
async fn check_all(
    context: &Arc<Context>,
    targets: Vec<Target>,
    checks: &Option<Arc<dyn EngineChecks>>,
    inner: &rotor_core::BoxedRotator,
    concurrency: usize,
) -> Vec<Verdict> {
    let slots = Arc::new(Semaphore::new(concurrency));
    let mut running = JoinSet::new();
    let mut names = Vec::new();
    for (index, target) in targets.into_iter().enumerate() {
        names.push(target.id.clone());
        let (context, checks, inner, slots) = (context.clone(), checks.clone(), inner.clone(), slots.clone());
        running.spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _slot = slots.acquire_owned().await;
            (index, context.check(target, checks, inner).await)
        });
    }
    let mut verdicts: Vec<Option<Verdict>> = names.iter().map(|_| None).collect();
    while let Some(joined) = running.join_next().await {
        if let Ok((index, verdict)) = joined
            && let Some(slot) = verdicts.get_mut(index)
        {
            *slot = Some(verdict);
        }
    }
    verdicts
        .into_iter()
        .zip(names)
        .map(|(verdict, secret)| {
            verdict.unwrap_or_else(|| Verdict {
                secret,
                passed: Vec::new(),
                failed: Some(Failed {
                    check: Check::ConfigurationTest,
                    message: "the check stopped without a verdict".to_owned(),
                    what_to_do: "Run rotor check for this secret alone.".to_owned(),
                }),
            })
        })
        .collect()
}

/// The secrets to check: the one named, or every one the filter matches.
async fn secret_ids(
    store: &Store,
    args: &CheckArgs,
    store_line: &str,
    output: Output,
) -> Result<Vec<String>, Exit> {
    if !args.all {
        return match &args.secret_id {
            Some(id) => Ok(vec![id.clone()]),
            None => {
                output.note("error: name a secret, or use --all --filter");
                Err(Exit::Failure)
            }
        };
    }
    let text = args.filter.as_deref().unwrap_or_default();
    let filter = match Filter::parse(text) {
        Ok(filter) => filter,
        Err(problem) => {
            output.note(format!("error: unknown filter {text:?}: {problem}"));
            return Err(Exit::Failure);
        }
    };
    let entries = super::fleet::matching(store, &filter, store_line, output).await?;
    Ok(entries.into_iter().map(|entry| entry.arn).collect())
}

/// DescribeSecret and AWSCURRENT's `engine`, read before any check. An access failure (no
/// credentials, access denied, …) ends the command.
async fn read(store: &Store, id: String) -> Result<Target, crate::store::AccessError> {
    let mut target = Target {
        id,
        description: None,
        engine: None,
        unreadable: None,
    };
    let described = store.describe_secret(&target.id).await;
    let description = match described {
        Ok(description) => description,
        Err(error) => {
            if let Some(access) = store.access_error(&error) {
                return Err(access);
            }
            target.unreadable = Some(error);
            return Ok(target);
        }
    };
    let current = store
        .get_secret_value(&description.arn, VersionSelector::stage(StagingLabel::Current))
        .await;
    match current {
        Ok(version) => {
            target.engine = engine_of(version.value.expose());
        }
        Err(error) => {
            if let Some(access) = store.access_error(&error) {
                return Err(access);
            }
            target.unreadable = Some(error);
        }
    }
    target.description = Some(description);
    Ok(target)
}

/// The checks of the rotators this command knows the engine of.
fn engine_checks(rotator: RotatorName) -> Result<Option<Arc<dyn EngineChecks>>, rotor_core::InvalidSetting> {
    let alternating = || -> Result<Strategy, rotor_core::InvalidSetting> {
        Ok(Strategy::AlternatingUsers {
            setting: UsernameSetting::from_env()?,
        })
    };
    Ok(match rotator {
        RotatorName::PostgresSingleUser => Some(Arc::new(DatabaseChecks::<rotor_postgres::Postgres>::new(
            Strategy::SingleUser,
        ))),
        RotatorName::PostgresMultiUser => Some(Arc::new(DatabaseChecks::<rotor_postgres::Postgres>::new(
            alternating()?,
        ))),
        RotatorName::MysqlSingleUser => Some(Arc::new(DatabaseChecks::<rotor_mysql::MySql>::new(
            Strategy::SingleUser,
        ))),
        RotatorName::MysqlMultiUser => Some(Arc::new(DatabaseChecks::<rotor_mysql::MySql>::new(
            alternating()?,
        ))),
        RotatorName::RedshiftSingleUser => Some(Arc::new(DatabaseChecks::<rotor_redshift::Redshift>::new(
            Strategy::SingleUser,
        ))),
        RotatorName::RedshiftMultiUser => Some(Arc::new(DatabaseChecks::<rotor_redshift::Redshift>::new(
            alternating()?,
        ))),
        _ => None,
    })
}

/// What every secret's check shares.
#[derive(Debug)]
struct Context {
    store: Store,
    rotator: String,
    timeout: Duration,
    settings: RotationSettings,
}

impl Context {
    /// Every check of one secret, stopping at the first that fails.
    async fn check(
        &self,
        target: Target,
        checks: Option<Arc<dyn EngineChecks>>,
        inner: rotor_core::BoxedRotator,
    ) -> Verdict {
        let Target {
            id,
            description,
            unreadable,
            ..
        } = target;
        let secret = description
            .as_ref()
            .map_or_else(|| id.clone(), |description| description.name.clone());
        let mut verdict = Verdict {
            secret,
            passed: Vec::new(),
            failed: None,
        };
        let fail = |check, message: String, cause| Failed {
            check,
            what_to_do: advice::what_to_do(
                check,
                cause,
                &verdict_name(&id, description.as_ref()),
                &self.rotator,
                self.store.local().is_some(),
            ),
            message,
        };
        let (Some(description), None) = (&description, unreadable.as_ref()) else {
            let message = unreadable.map_or_else(String::new, |error| error.to_string());
            verdict.failed = Some(fail(Check::Readable, message, None));
            return verdict;
        };
        verdict.passed.push(Check::Readable);
        if description.rotation_enabled == Some(false) {
            let message = format!("RotationEnabled is false for {}", description.name);
            verdict.failed = Some(fail(Check::RotationEnabled, message, None));
            return verdict;
        }
        verdict.passed.push(Check::RotationEnabled);
        if let Some(stuck) = stuck_pending(&description.versions) {
            let message = format!("AWSPENDING is on version {stuck}, which is not AWSCURRENT");
            verdict.failed = Some(fail(Check::NoRotationInProgress, message, None));
            return verdict;
        }
        verdict.passed.push(Check::NoRotationInProgress);

        let progress = Progress::default();
        let token = uuid::Uuid::new_v4().to_string();
        let view = ReadOnly::new(self.store.clone(), &description.arn, &token);
        let preflight = Preflight {
            inner,
            checks,
            progress: progress.clone(),
        };
        // What the deployed function has: RDS and Redshift complete the master secrets they
        // manage.
        let function = self.store.with_service_ports(RotationFunction::new(
            preflight,
            view.clone(),
            self.settings.clone(),
        ));
        let event = RotationEvent::new(&description.arn, &token, Step::TestSecret);
        let tested = function.invoke(&event, Deadline::after(self.timeout)).await;
        verdict.passed.extend(progress.passed());
        if let Err(error) = tested {
            let (running, cause) = progress.stopped_at();
            let (check, message) = match &error {
                RotationError::Rotator { source, .. } => {
                    (running.unwrap_or(Check::ConfigurationTest), source.to_string())
                }
                RotationError::RotationDisabled { .. } => (Check::RotationEnabled, error.to_string()),
                RotationError::SecretsManager { .. } => (Check::Readable, error.to_string()),
                _ => (Check::ConfigurationTest, error.to_string()),
            };
            verdict.failed = Some(fail(check, message, cause));
            return verdict;
        }
        if view.refused_writes() > 0 {
            let message = format!("the {} rotator tried to write to Secrets Manager", self.rotator);
            verdict.failed = Some(fail(Check::ConfigurationTest, message, None));
            return verdict;
        }
        if let Err(message) = self.generate_password().await {
            verdict.failed = Some(fail(Check::Password, message, None));
            return verdict;
        }
        verdict.passed.push(Check::Password);
        verdict
    }

    /// A password from the policy in the environment, generated as the Lambda would, then
    /// dropped.
    async fn generate_password(&self) -> Result<(), String> {
        let policy = &self.settings.password_policy;
        match self.settings.password_source {
            PasswordSource::SecretsManager => self
                .store
                .get_random_password(policy)
                .await
                .map(drop)
                .map_err(|error| error.to_string()),
            _ => policy.generate().map(drop).map_err(|error| error.to_string()),
        }
    }
}

fn verdict_name(id: &str, description: Option<&SecretDescription>) -> String {
    description.map_or_else(|| id.to_owned(), |description| description.name.clone())
}

/// The table, and the exit code: a failure when any secret would fail.
fn print(verdicts: &[Verdict], fleet: bool, output: Output) -> Exit {
    output.line(format!(
        "  {:<40} {:<8} {:<24} WHAT TO DO",
        "SECRET", "VERDICT", "FIRST FAILING CHECK"
    ));
    for verdict in verdicts {
        match &verdict.failed {
            None => output.line(format!("  {:<40} {:<8} {:<24} -", verdict.secret, "ok", "-")),
            Some(failed) => {
                output.line(format!(
                    "  {:<40} {:<8} {:<24} {}",
                    verdict.secret,
                    "FAIL",
                    failed.check.as_str(),
                    failed.what_to_do
                ));
                output.line(format!(
                    "  {:<40} {:<8} {:<24} why: {}",
                    "", "", "", failed.message
                ));
            }
        }
        if !fleet {
            let passed: Vec<&str> = verdict.passed.iter().map(|check| check.as_str()).collect();
            output.line(format!("  passed: {}", passed.join(", ")));
        }
    }
    let failed = verdicts.iter().filter(|verdict| verdict.failed.is_some()).count();
    output.line(format!(
        "summary: {} secret(s), {} would rotate, {failed} would fail",
        verdicts.len(),
        verdicts.len() - failed
    ));
    if failed == 0 { Exit::Success } else { Exit::Failure }
}
