//! The one path every engine operation takes: a fault point before and after, the invocation
//! deadline around it, and the driver's error turned into a [`DatabaseError`].

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;

use crate::deadline::Deadline;
use crate::fault::FaultPoints;

use super::engine::Engine;
use super::error::DatabaseError;

/// Runs an engine's connection attempts and statements behind the kit's fault points and the
/// invocation deadline. Cheap to clone; a session keeps one for its statements.
pub struct StatementGuard<E> {
    faults: FaultPoints,
    deadline: Deadline,
    engine: PhantomData<fn() -> E>,
}

impl<E> Clone for StatementGuard<E> {
    fn clone(&self) -> Self {
        Self {
            faults: self.faults.clone(),
            deadline: self.deadline,
            engine: PhantomData,
        }
    }
}

impl<E> fmt::Debug for StatementGuard<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StatementGuard")
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

impl<E: Engine> StatementGuard<E> {
    /// A guard with `faults` (none in production) that ends every operation at `deadline`.
    pub fn new(faults: FaultPoints, deadline: Deadline) -> Self {
        Self {
            faults,
            deadline,
            engine: PhantomData,
        }
    }

    /// The invocation deadline, for driver settings such as connect and statement timeouts.
    pub fn deadline(&self) -> Deadline {
        self.deadline
    }

    /// A connection attempt for the login `label`, at the fault point `connect:<label>`. `map`
    /// turns the driver's error into a [`DatabaseError`] that names the login.
    pub async fn connect<T, D>(
        &self,
        label: &str,
        attempt: impl Future<Output = Result<T, D>>,
        map: impl FnOnce(D) -> DatabaseError<E>,
    ) -> Result<T, DatabaseError<E>> {
        let operation = format!("connect:{label}");
        self.guarded(&operation, attempt, map).await
    }

    /// A statement, at the fault point `operation` (rotor's label for it, never its text).
    /// `map` turns the driver's error into a [`DatabaseError`]; it decides whether the server's
    /// message may be kept.
    pub async fn run<T, D>(
        &self,
        operation: &'static str,
        statement: impl Future<Output = Result<T, D>>,
        map: impl FnOnce(D) -> DatabaseError<E>,
    ) -> Result<T, DatabaseError<E>> {
        self.guarded(operation, statement, map).await
    }

    /// Waits for a session to close, at most until the deadline. Closing changes nothing, so a
    /// failure is only logged.
    pub async fn close<T, D>(&self, label: &str, closing: impl Future<Output = Result<T, D>>) {
        match tokio::time::timeout_at(self.deadline.instant(), closing).await {
            Ok(Ok(_)) => {}
            Ok(Err(_)) | Err(_) => tracing::debug!(
                engine = E::NAME,
                login = label,
                "the session did not close cleanly before the deadline"
            ),
        }
    }

    async fn guarded<T, D>(
        &self,
        operation: &str,
        future: impl Future<Output = Result<T, D>>,
        map: impl FnOnce(D) -> DatabaseError<E>,
    ) -> Result<T, DatabaseError<E>> {
        let ticket = self.faults.before(operation)?;
        let value = match tokio::time::timeout_at(self.deadline.instant(), future).await {
            Ok(result) => result.map_err(map)?,
            Err(_elapsed) => {
                return Err(DatabaseError::DeadlineExceeded {
                    operation: operation.to_owned(),
                });
            }
        };
        ticket.after()?;
        Ok(value)
    }
}
