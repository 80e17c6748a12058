//! Whether `--rotator` fits a secret: a database rotator takes the engines of its family (the
//! `engine` field of AWSCURRENT), the HMAC key rotator takes no database secret. `rotor rotate`
//! and `rotor check` refuse a mismatch with one line naming both, before any write or login.

use std::sync::Arc;

use clap::ValueEnum;
use rotor_core::database::{Engine, EngineFamily};
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{SecretsManager, StagingLabel};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::rotators::RotatorName;
use crate::store::{AccessError, Store};

/// One secret's name and the engine its AWSCURRENT names, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretEngine {
    /// The secret's name (or the id it was given, when DescribeSecret failed).
    pub(crate) name: String,
    /// AWSCURRENT's `engine`, when it parses as JSON and has one.
    pub(crate) engine: Option<String>,
}

/// The engine family a database rotator accepts; `None` for the rotators without one.
pub(crate) fn family(rotator: RotatorName) -> Option<EngineFamily> {
    match rotator {
        RotatorName::PostgresSingleUser | RotatorName::PostgresMultiUser => {
            Some(rotor_postgres::Postgres::FAMILY)
        }
        RotatorName::MysqlSingleUser | RotatorName::MysqlMultiUser => Some(rotor_mysql::MySql::FAMILY),
        RotatorName::RedshiftSingleUser | RotatorName::RedshiftMultiUser => {
            Some(rotor_redshift::Redshift::FAMILY)
        }
        RotatorName::HmacKey | RotatorName::IamAccessKey => None,
    }
}

/// Whether a secret whose AWSCURRENT names `engine` is one `rotator` cannot rotate: a database
/// rotator and another engine, or the HMAC key rotator and a database secret.
pub(crate) fn wrong_engine(rotator: RotatorName, engine: Option<&str>) -> bool {
    match (family(rotator), engine) {
        (Some(family), Some(engine)) => !family.engines.contains(&engine),
        (None, Some(_)) => rotator == RotatorName::HmacKey,
        (_, None) => false,
    }
}

/// The one-line refusal when `--rotator` does not match some secret's engine.
pub(crate) fn mismatch(rotator: RotatorName, secrets: &[SecretEngine]) -> Option<String> {
    let wrong: Vec<&SecretEngine> = secrets
        .iter()
        .filter(|secret| wrong_engine(rotator, secret.engine.as_deref()))
        .collect();
    let first = wrong.first()?;
    let engine = first.engine.as_deref().unwrap_or_default();
    let name = &first.name;
    let suggested: Vec<String> = RotatorName::value_variants()
        .iter()
        .filter(|candidate| family(**candidate).is_some_and(|family| family.engines.contains(&engine)))
        .map(|candidate| candidate.as_str())
        .collect();
    let instead = if suggested.is_empty() {
        "no rotator of this binary takes it".to_owned()
    } else {
        format!("use --rotator {}", suggested.join(" or "))
    };
    let rotator = rotator.as_str();
    Some(if secrets.len() == 1 {
        format!("--rotator {rotator} does not match secret {name}, whose engine is {engine:?}: {instead}")
    } else {
        format!(
            "--rotator {rotator} does not match {} of {} secrets, e.g. {name} (engine {engine:?}): narrow --filter, or {instead}",
            wrong.len(),
            secrets.len()
        )
    })
}

/// AWSCURRENT's `engine` field, if the value is JSON with one.
pub(crate) fn engine_of(value: &str) -> Option<String> {
    serde_json::from_str::<serde_json::Value>(value)
        .ok()
        .and_then(|json| json.get("engine")?.as_str().map(str::to_owned))
}

/// Reads the name and engine of each secret, `concurrency` at a time, in the given order. A
/// secret that cannot be read has no engine (the rotation reports why); an access failure ends
/// the reading, since every other call would fail the same way.
pub(crate) async fn read_engines(
    store: &Store,
    ids: &[String],
    concurrency: usize,
) -> Result<Vec<SecretEngine>, AccessError> {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut running = JoinSet::new();
    for (index, id) in ids.iter().enumerate() {
        let (store, id, slots) = (store.clone(), id.clone(), slots.clone());
        running.spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _slot = slots.acquire_owned().await;
            (index, read_engine(&store, id).await)
        });
    }
    let mut read: Vec<Option<SecretEngine>> = ids.iter().map(|_| None).collect();
    while let Some(joined) = running.join_next().await {
        let Ok((index, result)) = joined else { continue };
        if let Some(slot) = read.get_mut(index) {
            *slot = Some(result?);
        }
    }
    Ok(read
        .into_iter()
        .zip(ids)
        .map(|(engine, id)| {
            engine.unwrap_or_else(|| SecretEngine {
                name: id.clone(),
                engine: None,
            })
        })
        .collect())
}

async fn read_engine(store: &Store, id: String) -> Result<SecretEngine, AccessError> {
    let unknown = |name: String| SecretEngine { name, engine: None };
    let description = match store.describe_secret(&id).await {
        Ok(description) => description,
        Err(error) => {
            return match store.access_error(&error) {
                Some(access) => Err(access),
                None => Ok(unknown(id)),
            };
        }
    };
    let current = store
        .get_secret_value(&description.arn, VersionSelector::stage(StagingLabel::Current))
        .await;
    match current {
        Ok(version) => Ok(SecretEngine {
            name: description.name,
            engine: engine_of(version.value.expose()),
        }),
        Err(error) => match store.access_error(&error) {
            Some(access) => Err(access),
            None => Ok(unknown(description.name)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_the_rotator_cannot_rotate_is_a_mismatch() {
        assert!(wrong_engine(RotatorName::PostgresSingleUser, Some("mysql")));
        assert!(!wrong_engine(
            RotatorName::PostgresMultiUser,
            Some("aurora-postgresql")
        ));
        assert!(wrong_engine(RotatorName::MysqlMultiUser, Some("postgres")));
        assert!(!wrong_engine(RotatorName::MysqlSingleUser, Some("mariadb")));
        assert!(wrong_engine(RotatorName::HmacKey, Some("postgres")));
        assert!(!wrong_engine(RotatorName::HmacKey, None));
        assert!(
            !wrong_engine(RotatorName::PostgresSingleUser, None),
            "a missing engine is the parse check's to report"
        );
    }

    #[test]
    fn the_refusal_names_the_rotator_the_secret_and_its_engine() {
        let one = [SecretEngine {
            name: "pg/app".into(),
            engine: Some("postgres".into()),
        }];
        assert_eq!(
            mismatch(RotatorName::MysqlSingleUser, &one).as_deref(),
            Some(
                "--rotator mysql-single-user does not match secret pg/app, whose engine is \"postgres\": \
                 use --rotator postgres-single-user or postgres-multi-user"
            )
        );
        assert_eq!(mismatch(RotatorName::PostgresSingleUser, &one), None);
        assert_eq!(
            engine_of(r#"{"engine":"mysql","password":"x"}"#).as_deref(),
            Some("mysql")
        );
        assert_eq!(engine_of("not json"), None);
    }
}
