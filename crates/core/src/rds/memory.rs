//! An in-memory model of the two RDS calls, for unit tests: lookups by identifier or ARN, and
//! `NotFound` for anything else, as the service answers.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::types::identifier_of;
use super::{DbCluster, DbInstance, RdsApi, RdsError, RdsFuture};

/// Instances and clusters held in memory.
#[derive(Debug, Default)]
pub struct InMemoryRds {
    instances: Mutex<BTreeMap<String, DbInstance>>,
    clusters: Mutex<BTreeMap<String, DbCluster>>,
    calls: Mutex<Vec<String>>,
}

impl InMemoryRds {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) an instance.
    pub fn add_instance(&self, instance: DbInstance) {
        self.instances
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(instance.identifier.clone(), instance);
    }

    /// Adds (or replaces) a cluster.
    pub fn add_cluster(&self, cluster: DbCluster) {
        self.clusters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(cluster.identifier.clone(), cluster);
    }

    /// The calls made so far, as `Operation:identifier`.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn record(&self, operation: &str, identifier: &str) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(format!("{operation}:{identifier}"));
    }
}

/// The entry for `identifier` (or the identifier an ARN names), as the service finds it.
fn lookup<'a, T: Clone + Send + 'a>(
    table: &Mutex<BTreeMap<String, T>>,
    kind: &'static str,
    identifier: &'a str,
) -> RdsFuture<'a, T> {
    let found = table
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(identifier_of(identifier))
        .cloned();
    Box::pin(async move {
        found.ok_or_else(|| RdsError::NotFound {
            kind,
            identifier: identifier.to_owned(),
        })
    })
}

impl RdsApi for InMemoryRds {
    fn describe_db_instance<'a>(&'a self, identifier: &'a str) -> RdsFuture<'a, DbInstance> {
        self.record("DescribeDBInstances", identifier);
        lookup(&self.instances, "instance", identifier)
    }

    fn describe_db_cluster<'a>(&'a self, identifier: &'a str) -> RdsFuture<'a, DbCluster> {
        self.record("DescribeDBClusters", identifier);
        lookup(&self.clusters, "cluster", identifier)
    }
}
