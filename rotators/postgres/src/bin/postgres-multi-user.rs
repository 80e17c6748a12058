//! Lambda rotation function: PostgreSQL, alternating users (`name` / `name_clone`, changed by the
//! master user named by `masterarn`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    rotor_core::lambda::run(rotor_postgres::AlternatingUsers::new()).await
}
