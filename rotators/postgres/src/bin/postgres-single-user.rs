//! Lambda rotation function: PostgreSQL, single user (the user changes its own password).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    rotor_core::lambda::run(rotor_postgres::SingleUser::new()).await
}
