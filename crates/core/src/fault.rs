//! Fault points: a way for tests to crash a rotation at its k-th external operation.
//!
//! Engines call [`FaultPoints::before`] and [`FaultTicket::after`] around every statement they
//! send. In production the points are [`FaultPoints::none`] and cost one branch. Tests arm one
//! fault, run a step, and check that Secrets Manager-style retries converge.

use std::sync::{Arc, Mutex, PoisonError};

use crate::error::{Classify, ErrorClass};

/// When an injected fault strikes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultTiming {
    /// The operation fails before it reaches the other side: nothing changes.
    BeforeApply,
    /// The operation takes effect, then the caller fails: a crash or a lost response.
    AfterApply,
}

/// The error an armed fault point returns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("injected fault {timing:?} operation {operation} ({label})")]
pub struct InjectedFault {
    /// 1-based number of the operation.
    pub operation: usize,
    /// The operation's label.
    pub label: String,
    /// Before or after.
    pub timing: FaultTiming,
}

impl Classify for InjectedFault {
    fn class(&self) -> ErrorClass {
        ErrorClass::Transient
    }

    fn error_type(&self) -> &'static str {
        "InjectedFault"
    }
}

#[derive(Debug, Default)]
struct Plan {
    operations: Vec<String>,
    fault: Option<(usize, FaultTiming)>,
}

/// Shared, clonable fault points. Every clone sees the same plan and the same operation log.
#[derive(Debug, Clone, Default)]
pub struct FaultPoints {
    plan: Option<Arc<Mutex<Plan>>>,
}

impl FaultPoints {
    /// No faults and no log: what production uses.
    pub fn none() -> Self {
        Self::default()
    }

    /// Points that log every operation and have no fault armed yet.
    pub fn recording() -> Self {
        Self {
            plan: Some(Arc::default()),
        }
    }

    fn with_plan<T>(&self, apply: impl FnOnce(&mut Plan) -> T) -> Option<T> {
        self.plan
            .as_ref()
            .map(|plan| apply(&mut plan.lock().unwrap_or_else(PoisonError::into_inner)))
    }

    /// Arms one fault at the `k`-th operation from now (1-based) and clears the log.
    pub fn arm(&self, k: usize, timing: FaultTiming) {
        self.with_plan(|plan| {
            plan.operations.clear();
            plan.fault = Some((k, timing));
        });
    }

    /// Disarms any fault.
    pub fn disarm(&self) {
        self.with_plan(|plan| plan.fault = None);
    }

    /// Whether an armed fault has not fired yet.
    pub fn armed(&self) -> bool {
        self.with_plan(|plan| plan.fault.is_some()).unwrap_or(false)
    }

    /// The labels of the operations since the last [`arm`](Self::arm) or
    /// [`clear_log`](Self::clear_log). Labels never contain values.
    pub fn log(&self) -> Vec<String> {
        self.with_plan(|plan| plan.operations.clone()).unwrap_or_default()
    }

    /// Clears the operation log.
    pub fn clear_log(&self) {
        self.with_plan(|plan| plan.operations.clear());
    }

    /// Records an operation; fails it when it is the armed one with [`FaultTiming::BeforeApply`].
    /// Returns a ticket to pass to [`FaultTicket::after`].
    pub fn before(&self, label: &str) -> Result<FaultTicket, InjectedFault> {
        let fired = self.with_plan(|plan| {
            plan.operations.push(label.to_owned());
            let operation = plan.operations.len();
            match plan.fault {
                Some((k, timing)) if k == operation => {
                    plan.fault = None;
                    Some((operation, timing))
                }
                _ => None,
            }
        });
        match fired.flatten() {
            Some((operation, FaultTiming::BeforeApply)) => Err(InjectedFault {
                operation,
                label: label.to_owned(),
                timing: FaultTiming::BeforeApply,
            }),
            Some((operation, FaultTiming::AfterApply)) => Ok(FaultTicket {
                fail_after: Some((operation, label.to_owned())),
            }),
            None => Ok(FaultTicket { fail_after: None }),
        }
    }
}

/// Carries an after-apply fault from [`FaultPoints::before`] to the end of the operation.
#[derive(Debug)]
#[must_use = "call FaultTicket::after once the operation has completed"]
pub struct FaultTicket {
    fail_after: Option<(usize, String)>,
}

impl FaultTicket {
    /// Fails when the armed fault is an after-apply fault for this operation.
    pub fn after(self) -> Result<(), InjectedFault> {
        match self.fail_after {
            Some((operation, label)) => Err(InjectedFault {
                operation,
                label,
                timing: FaultTiming::AfterApply,
            }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kth_operation_fails_once_before_or_after() {
        let points = FaultPoints::recording();
        points.arm(2, FaultTiming::BeforeApply);
        assert!(points.before("a").unwrap().after().is_ok());
        assert!(points.before("b").is_err());
        assert!(points.before("c").unwrap().after().is_ok());
        points.arm(1, FaultTiming::AfterApply);
        assert!(points.before("d").unwrap().after().is_err());
        assert!(!points.armed());
        assert_eq!(points.log(), ["d"]);
    }

    #[test]
    fn production_points_never_fail_or_record() {
        let points = FaultPoints::none();
        points.arm(1, FaultTiming::BeforeApply);
        assert!(points.before("a").unwrap().after().is_ok());
        assert!(points.log().is_empty());
    }
}
