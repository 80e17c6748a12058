//! Lambda rotation function: MySQL, Aurora MySQL or MariaDB, single user (the user changes its own
//! password). `ROTOR_MYSQL_PASSWORD_RETENTION=retain` turns on MySQL 8.0.14+ dual passwords.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    rotor_core::lambda::run_or_report(rotor_mysql::SingleUser::from_env()).await
}
