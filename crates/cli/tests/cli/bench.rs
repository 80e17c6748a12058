//! Fleet rotation throughput, in rotations per second at concurrency 1, 8 and 32: against one
//! moto server, and against one PostgreSQL server. Ignored by default; run with
//! `cargo test -p rotor-cli --test tests bench_ -- --ignored --nocapture --test-threads 1`.

use std::time::{Duration, Instant};

use rotor_core::{InMemorySecretsManager, SecretValue};
use rotor_postgres::sql::{quote_identifier, quote_literal};
use rotor_testkit::{MotoServer, PostgresOptions, PostgresServer};

use super::fleet::{create_fleet, fleet};
use super::support::Sandbox;

const CONCURRENCY: [usize; 3] = [1, 8, 32];

fn summary(run: &super::support::Run) -> String {
    run.stdout
        .lines()
        .find(|line| line.starts_with("summary:"))
        .unwrap()
        .to_owned()
}

#[tokio::test]
#[ignore = "benchmark: run explicitly"]
async fn bench_fleet_throughput_against_moto() {
    const SECRETS: usize = 200;
    let moto = MotoServer::start().await.unwrap();
    let client = moto.secrets_manager().await.client().clone();
    let mut round_trips = Vec::new();
    for _ in 0..20 {
        let began = Instant::now();
        client.list_secrets().max_results(1).send().await.unwrap();
        round_trips.push(began.elapsed());
    }
    round_trips.sort();
    eprintln!("moto: median round trip of one call {:?}", round_trips[10]);
    let sandbox = Sandbox::new();
    for concurrency in CONCURRENCY {
        let prefix = format!("bench-c{concurrency}/");
        create_fleet(&client, &prefix, SECRETS, None).await;
        let run = fleet(&sandbox, &moto, &prefix, concurrency);
        run.expect(0);
        eprintln!(
            "moto, {SECRETS} secrets, concurrency {concurrency:>2}: {}",
            summary(&run)
        );
    }
}

#[tokio::test]
#[ignore = "benchmark: run explicitly"]
async fn bench_fleet_throughput_against_one_postgres() {
    const SECRETS: usize = 100;
    let server = PostgresServer::start_with(PostgresOptions::new().tls(true))
        .await
        .unwrap();
    for concurrency in CONCURRENCY {
        let sandbox = Sandbox::new();
        let model = InMemorySecretsManager::new();
        let mut sql = String::new();
        for index in 0..SECRETS {
            let user = format!("bench_c{concurrency}_{index:03}");
            let password = format!("initial-Password-{index:03}");
            sql.push_str(&format!(
                "CREATE ROLE {} LOGIN PASSWORD {};\n",
                quote_identifier(&user),
                quote_literal(&password)
            ));
            let secret = server.secret_json(&user, &password);
            model
                .create_secret(&format!("pg/{user}"), &SecretValue::new(secret.to_string()))
                .unwrap();
        }
        server.admin_sql(&sql).await.unwrap();
        sandbox.save(&model);
        let concurrency_arg = concurrency.to_string();
        let args = [
            "--store",
            "local",
            "rotate",
            "--all",
            "--filter",
            "pg/",
            "--rotator",
            "postgres-single-user",
            "--concurrency",
            &concurrency_arg,
            "--rate",
            "10000",
        ];
        let began = Instant::now();
        let run = sandbox.run(sandbox.command(&args), None);
        let took: Duration = began.elapsed();
        run.expect(0);
        eprintln!(
            "postgres, {SECRETS} secrets, concurrency {concurrency:>2}: {} (process {took:.2?})",
            summary(&run)
        );
    }
}
