//! The rotators `--rotator` can name, behind one type so the rest of the CLI is not generic.
//!
//! To add a rotator: a variant in [`RotatorName`] (clap derives its kebab-case name and lists
//! it in `--help`) and one arm in [`RotatorName::build`], built the way its Lambda binary builds
//! it (same environment variables).

use clap::ValueEnum;
use rotor_core::BoxedRotator;
use rotor_core::database::Engine;
use rotor_hmac_key::HmacKeyRotator;

/// The database drivers' log targets of every rotator this binary can run, for core's log
/// filter to cap (they would log statements, and so passwords, at DEBUG). Redshift's are
/// PostgreSQL's: rotor-redshift runs on rotor-postgres's driver.
pub(crate) fn driver_log_targets() -> Vec<&'static str> {
    [
        rotor_postgres::Postgres::LOG_TARGETS,
        rotor_mysql::MySql::LOG_TARGETS,
        rotor_iam_access_key::LOG_TARGETS,
    ]
    .concat()
}

/// A rotator this binary can run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum RotatorName {
    /// An HMAC-SHA256 signing key in the secret itself: `{"key_id", "signing_key"}`.
    HmacKey,
    /// PostgreSQL; the user changes its own password.
    PostgresSingleUser,
    /// PostgreSQL; the `masterarn` user alternates the password of `name` and `name_clone`.
    PostgresMultiUser,
    /// MySQL, Aurora MySQL or MariaDB; the user changes its own password.
    MysqlSingleUser,
    /// MySQL, Aurora MySQL or MariaDB; the `masterarn` user alternates `name` and `name_clone`.
    MysqlMultiUser,
    /// Amazon Redshift; the user changes its own password.
    RedshiftSingleUser,
    /// Amazon Redshift; the `masterarn` user alternates the password of `name` and `name_clone`.
    RedshiftMultiUser,
    /// An IAM user's access key: `{"UserName", "AccessKeyId", "SecretAccessKey"}`; IAM creates
    /// the new key, STS proves it, the finish hook retires the old ones.
    IamAccessKey,
}

impl RotatorName {
    /// The rotator, ready to bind to a store, configured from the environment exactly as its
    /// Lambda binary is.
    pub(crate) fn build(self) -> Result<BoxedRotator, String> {
        let unusable = |error: rotor_core::InvalidSetting| format!("{}: {error}", self.as_str());
        Ok(match self {
            Self::HmacKey => BoxedRotator::new(HmacKeyRotator),
            Self::PostgresSingleUser => BoxedRotator::new(rotor_postgres::SingleUser::new()),
            Self::PostgresMultiUser => {
                BoxedRotator::new(rotor_postgres::AlternatingUsers::from_env().map_err(unusable)?)
            }
            Self::MysqlSingleUser => {
                BoxedRotator::new(rotor_mysql::SingleUser::from_env().map_err(unusable)?)
            }
            Self::MysqlMultiUser => {
                BoxedRotator::new(rotor_mysql::AlternatingUsers::from_env().map_err(unusable)?)
            }
            Self::RedshiftSingleUser => BoxedRotator::new(rotor_redshift::SingleUser::new()),
            Self::RedshiftMultiUser => {
                BoxedRotator::new(rotor_redshift::AlternatingUsers::from_env().map_err(unusable)?)
            }
            Self::IamAccessKey => BoxedRotator::new(rotor_iam_access_key::IamAccessKeyRotator::from_env()),
        })
    }

    /// The name as typed on the command line.
    pub(crate) fn as_str(self) -> String {
        self.to_possible_value()
            .map(|value| value.get_name().to_owned())
            .unwrap_or_default()
    }
}
