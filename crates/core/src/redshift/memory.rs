//! An in-memory model of the three Redshift calls, for unit tests: clusters by identifier,
//! namespaces and workgroups listed a page at a time, and refusals on demand.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use super::{Cluster, Namespace, Page, RedshiftApi, RedshiftApiError, RedshiftFuture, Workgroup};

/// The page size of the list calls unless [`InMemoryRedshift::with_page_size`] says otherwise
/// (the service's largest `maxResults`).
const DEFAULT_PAGE_SIZE: usize = 100;

/// Clusters, namespaces and workgroups held in memory.
#[derive(Debug)]
pub struct InMemoryRedshift {
    clusters: Mutex<BTreeMap<String, Cluster>>,
    namespaces: Mutex<Vec<Namespace>>,
    workgroups: Mutex<Vec<Workgroup>>,
    refusals: Mutex<BTreeMap<&'static str, RedshiftApiError>>,
    page_size: usize,
    calls: Mutex<Vec<String>>,
}

impl Default for InMemoryRedshift {
    fn default() -> Self {
        Self {
            clusters: Mutex::default(),
            namespaces: Mutex::default(),
            workgroups: Mutex::default(),
            refusals: Mutex::default(),
            page_size: DEFAULT_PAGE_SIZE,
            calls: Mutex::default(),
        }
    }
}

impl InMemoryRedshift {
    /// An empty model.
    pub fn new() -> Self {
        Self::default()
    }

    /// This model, listing `size` items a page (at least one).
    #[must_use]
    pub fn with_page_size(mut self, size: usize) -> Self {
        self.page_size = size.max(1);
        self
    }

    /// Adds (or replaces) a provisioned cluster.
    pub fn add_cluster(&self, cluster: Cluster) {
        lock(&self.clusters).insert(cluster.identifier.clone(), cluster);
    }

    /// Adds a Serverless namespace.
    pub fn add_namespace(&self, namespace: Namespace) {
        lock(&self.namespaces).push(namespace);
    }

    /// Adds a Serverless workgroup.
    pub fn add_workgroup(&self, workgroup: Workgroup) {
        lock(&self.workgroups).push(workgroup);
    }

    /// Answers every later call of `operation` (`DescribeClusters`, `ListNamespaces` or
    /// `ListWorkgroups`) with `error`.
    pub fn refuse(&self, operation: &'static str, error: RedshiftApiError) {
        lock(&self.refusals).insert(operation, error);
    }

    /// The calls made so far, as `Operation:argument` (the identifier, or the page token, `-`
    /// for the first page).
    pub fn calls(&self) -> Vec<String> {
        lock(&self.calls).clone()
    }

    /// Records the call and returns its refusal, if one is set.
    fn call(&self, operation: &'static str, argument: &str) -> Result<(), RedshiftApiError> {
        lock(&self.calls).push(format!("{operation}:{argument}"));
        lock(&self.refusals).get(operation).cloned().map_or(Ok(()), Err)
    }

    /// The page of `items` that starts at `token` (an index, as this model hands them out).
    fn page<T: Clone>(
        &self,
        items: &Mutex<Vec<T>>,
        operation: &'static str,
        token: Option<&str>,
    ) -> Result<Page<T>, RedshiftApiError> {
        self.call(operation, token.unwrap_or("-"))?;
        let start = match token {
            None => 0,
            Some(token) => token.parse::<usize>().map_err(|_| RedshiftApiError::Service {
                operation,
                code: "ValidationException".to_owned(),
                message: "invalid nextToken".to_owned(),
            })?,
        };
        let items = lock(items);
        let end = start.saturating_add(self.page_size).min(items.len());
        Ok(Page {
            items: items.get(start..end).unwrap_or_default().to_vec(),
            next_token: (end < items.len()).then(|| end.to_string()),
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl RedshiftApi for InMemoryRedshift {
    fn describe_cluster<'a>(&'a self, identifier: &'a str) -> RedshiftFuture<'a, Cluster> {
        let found = self.call("DescribeClusters", identifier).and_then(|()| {
            lock(&self.clusters)
                .get(identifier)
                .cloned()
                .ok_or_else(|| RedshiftApiError::ClusterNotFound {
                    identifier: identifier.to_owned(),
                })
        });
        Box::pin(async move { found })
    }

    fn list_namespaces<'a>(&'a self, next_token: Option<&'a str>) -> RedshiftFuture<'a, Page<Namespace>> {
        let page = self.page(&self.namespaces, "ListNamespaces", next_token);
        Box::pin(async move { page })
    }

    fn list_workgroups<'a>(&'a self, next_token: Option<&'a str>) -> RedshiftFuture<'a, Page<Workgroup>> {
        let page = self.page(&self.workgroups, "ListWorkgroups", next_token);
        Box::pin(async move { page })
    }
}
