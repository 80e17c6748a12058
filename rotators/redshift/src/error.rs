//! What can go wrong talking to Redshift: the kit's shared errors, named `Redshift…`, plus the few
//! only Redshift's rotators have. No variant holds a password, an md5 hash or the text of a
//! statement that carried one.

use rotor_core::database::DatabaseError;
use rotor_core::{Classify, ErrorClass};

use crate::engine::Redshift;

/// A Redshift rotator failure: rotor-core's [`DatabaseError`] with Redshift's error names
/// (`RedshiftAuthFailed`, `RedshiftStatementFailed`, …) and [`RedshiftFailure`] for the rest.
pub type RedshiftError = DatabaseError<Redshift>;

/// The failures only Redshift's rotators have.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedshiftFailure {
    /// A user the rotation relies on does not exist.
    #[error("user {user:?} does not exist")]
    UserMissing {
        /// The user name.
        user: String,
    },
    /// The original user is a superuser; its clone would have to be one too, which rotor never
    /// creates.
    #[error("user {user:?} is a superuser; rotor does not create superuser clones")]
    SuperuserOriginal {
        /// The original user.
        user: String,
    },
}

impl Classify for RedshiftFailure {
    fn class(&self) -> ErrorClass {
        ErrorClass::Permanent
    }

    fn error_type(&self) -> &'static str {
        match self {
            Self::UserMissing { .. } => "RedshiftUserMissing",
            Self::SuperuserOriginal { .. } => "RedshiftSuperuserOriginal",
        }
    }
}

impl From<RedshiftFailure> for RedshiftError {
    fn from(failure: RedshiftFailure) -> Self {
        Self::Engine(failure)
    }
}
