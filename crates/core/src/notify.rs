//! The rotation notification port: after a successful finishSecret, one event says that a secret
//! has a new AWSCURRENT, so applications can refresh cached credentials at once instead of
//! waiting for their cache to expire.
//!
//! [`EventBridgeNotifier`] publishes it to the EventBridge bus named by [`EVENT_BUS_VARIABLE`]
//! (source [`SOURCE`], detail-type [`DETAIL_TYPE`], detail [`RotationNotice::detail`]);
//! [`RecordingNotifier`] keeps notices in memory for tests. A notice holds ids and names, never a
//! value or a RotationToken. Publishing is best effort: a failure is logged as a
//! [`NotificationError`] (errorType `NotificationFailed`) and never fails the rotation. A
//! retried finishSecret of a completed rotation publishes again, so listeners must treat the
//! event as "refresh now", which is harmless to repeat.

mod error;
mod eventbridge;
mod notice;
mod recording;

use std::future::Future;
use std::pin::Pin;

pub use error::NotificationError;
pub use eventbridge::EventBridgeNotifier;
pub use notice::{RotationNotice, rfc3339};
pub use recording::RecordingNotifier;

/// The environment variable naming the event bus (name or ARN); unset or empty turns the
/// notification off.
pub const EVENT_BUS_VARIABLE: &str = "ROTOR_EVENT_BUS";

/// The `source` of every rotation event.
pub const SOURCE: &str = "rotor";

/// The `detail-type` of every rotation event.
pub const DETAIL_TYPE: &str = "Secret Rotated";

/// A boxed future, so the port can be used as `dyn RotationNotifier`.
pub type NotifyFuture<'a> = Pin<Box<dyn Future<Output = Result<(), NotificationError>> + Send + 'a>>;

/// Where rotation notices go.
pub trait RotationNotifier: Send + Sync + std::fmt::Debug {
    /// Publishes one notice.
    fn publish<'a>(&'a self, notice: &'a RotationNotice) -> NotifyFuture<'a>;
}
