//! What a rotation costs the Lambda service: cold start (process start to the first
//! `GET .../invocation/next`), peak RSS per step (`VmHWM`), CPU time, and the wall time of a whole
//! rotation with a fresh process per step, as after an idle period; plus the same rotation in one
//! warm process for comparison. Not a test and not timed: `scripts/bench-lambda` runs it.
//!
//! Settings (environment): `ROTOR_BENCH_ARCH` (`x86_64` or `arm64`, the latter under qemu, an
//! indication only), `ROTOR_BENCH_RUNS` (rotations per function, default 5), `ROTOR_BENCH_BINS`
//! (comma-separated, default all eight), `ROTOR_BENCH_OUT` (file for the markdown table, default
//! stderr only), `ROTOR_BENCH_TITLE` (a heading).
#![expect(clippy::print_stderr, reason = "the benchmark reports its progress")]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use rotor_testkit::MotoServer;
use serde_json::json;

use super::bootstrap::{Bootstrap, Launch};
use super::iam_access_key::Iam;
use super::lambdas::{
    Arch, HMAC_KEY, IAM_ACCESS_KEY, MYSQL_MULTI_USER, MYSQL_SINGLE_USER, POSTGRES_MULTI_USER,
    POSTGRES_SINGLE_USER, REDSHIFT_MULTI_USER, REDSHIFT_SINGLE_USER,
};
use super::rotation::{Function, STEPS, Secrets, event, new_token, start_next_rotation};
use super::runtime_api::{Outcome, RuntimeApi};
use super::{mysql, postgres, redshift};

const ALL: [&str; 8] = [
    HMAC_KEY,
    POSTGRES_SINGLE_USER,
    POSTGRES_MULTI_USER,
    MYSQL_SINGLE_USER,
    MYSQL_MULTI_USER,
    REDSHIFT_SINGLE_USER,
    REDSHIFT_MULTI_USER,
    IAM_ACCESS_KEY,
];

/// What one cold invocation cost.
struct Cold {
    start: Duration,
    total: Duration,
    cpu: Duration,
    peak_rss_kib: u64,
}

#[derive(Default)]
struct Samples {
    cold_starts: Vec<Duration>,
    step_rss_kib: [Vec<u64>; 4],
    cold_rotations: Vec<Duration>,
    cold_rotation_cpu: Vec<Duration>,
    warm_rotations: Vec<Duration>,
}

/// Keeps the servers a function's secret points at alive.
#[expect(dead_code, reason = "held for its Drop")]
enum Backend {
    None,
    MariaDb(mysql::Db),
    Postgres(postgres::Db),
    Redshift(redshift::Db),
}

/// Starts what `bin` rotates against (TLS on, as in production) and creates its secret.
async fn seed(bin: &str, moto: &MotoServer, secrets: &Secrets) -> (Backend, String) {
    match bin {
        HMAC_KEY => {
            let secret =
                json!({"key_id": "k0", "signing_key": "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="});
            (Backend::None, secrets.create("signing-key", &secret).await)
        }
        MYSQL_SINGLE_USER | MYSQL_MULTI_USER => {
            let db = mysql::Db::start(true).await;
            db.sql("CREATE USER 'app'@'%' IDENTIFIED BY 'initial-Pw-1';")
                .await;
            let mut secret = db.secret("app", "initial-Pw-1");
            if bin == MYSQL_MULTI_USER {
                secret["masterarn"] = json!(secrets.create("db-master", &db.master_secret()).await);
            }
            let arn = secrets.create("app-db", &secret).await;
            (Backend::MariaDb(db), arn)
        }
        POSTGRES_SINGLE_USER | POSTGRES_MULTI_USER => {
            let db = postgres::Db::start(true).await;
            db.psql(
                "CREATE ROLE master LOGIN CREATEROLE PASSWORD 'master-Pw-1';
                 CREATE ROLE app LOGIN PASSWORD 'initial-Pw-1';",
            )
            .await;
            let mut secret = db.secret("app", "initial-Pw-1");
            if bin == POSTGRES_MULTI_USER {
                let master = db.secret("master", "master-Pw-1");
                secret["masterarn"] = json!(secrets.create("db-master", &master).await);
            }
            let arn = secrets.create("app-db", &secret).await;
            (Backend::Postgres(db), arn)
        }
        REDSHIFT_SINGLE_USER | REDSHIFT_MULTI_USER => {
            let db = redshift::Db::start().await;
            db.sql("CREATE USER app PASSWORD 'initial-Pw-1';").await;
            let mut secret = db.secret("app", "initial-Pw-1");
            if bin == REDSHIFT_MULTI_USER {
                secret["masterarn"] = json!(secrets.create("redshift-admin", &db.master_secret()).await);
            }
            let arn = secrets.create("app-redshift", &secret).await;
            (Backend::Redshift(db), arn)
        }
        IAM_ACCESS_KEY => {
            let secret = Iam::new(moto).await.user_with_key("ci-deployer").await;
            (Backend::None, secrets.create("ci-deployer-key", &secret).await)
        }
        other => panic!("unknown function {other}"),
    }
}

/// One step in a fresh process: spawn, wait for the first poll, invoke, read the peak RSS.
async fn cold_step(launch: &Launch, moto: &MotoServer, step: &str, arn: &str, token: &str) -> Cold {
    let runtime = RuntimeApi::start(launch.bin).await;
    let mut process = Bootstrap::spawn(launch, &runtime.address(), &moto.endpoint()).await;
    let Some(first_poll) = runtime.first_poll(Duration::from_secs(30)).await else {
        panic!("{} did not poll\n{}", launch.bin, process.diagnostics());
    };
    let outcome = runtime.invoke(&event(step, arn, token)).await;
    let total = process.started.elapsed();
    if let Outcome::Error(error) = outcome {
        panic!("{step}: {error:?}\n{}", process.diagnostics());
    }
    // The process is parked in its next long poll, so VmHWM covers the whole invocation.
    let peak_rss_kib = process.peak_rss_kib().unwrap_or_default();
    Cold {
        start: first_poll - process.started,
        total,
        cpu: process.cpu_time().unwrap_or_default(),
        peak_rss_kib,
    }
}

async fn measure(bin: &'static str, arch: Arch, runs: usize) -> Samples {
    let moto = MotoServer::start().await.unwrap();
    let secrets = Secrets::new(&moto).await;
    let (_backend, arn) = seed(bin, &moto, &secrets).await;
    let mut launch = Launch::new(bin).arch(arch);
    if bin == IAM_ACCESS_KEY {
        launch.env.push(("AWS_ENDPOINT_URL".to_owned(), moto.endpoint()));
    }
    let mut samples = Samples::default();
    // One unmeasured rotation warms the page cache, moto and the database.
    for run in 0..=runs {
        let token = new_token();
        start_next_rotation(&moto, &secrets, &arn, &token).await;
        let (mut rotation, mut cpu) = (Duration::ZERO, Duration::ZERO);
        for (index, step) in STEPS.into_iter().enumerate() {
            let cold = cold_step(&launch, &moto, step, &arn, &token).await;
            rotation += cold.total;
            cpu += cold.cpu;
            if run > 0 {
                samples.cold_starts.push(cold.start);
                samples.step_rss_kib[index].push(cold.peak_rss_kib);
            }
        }
        if run > 0 {
            samples.cold_rotations.push(rotation);
            samples.cold_rotation_cpu.push(cpu);
        }

        let token = new_token();
        start_next_rotation(&moto, &secrets, &arn, &token).await;
        let mut function = Function::start(&launch, &moto).await;
        let started = Instant::now();
        function.rotate(&arn, &token).await;
        if run > 0 {
            samples.warm_rotations.push(started.elapsed());
        }
        eprintln!("bench: {bin} ({}) rotation {run}/{runs} done", arch.name());
    }
    samples
}

fn median<T: Ord + Copy>(values: &[T]) -> T {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2]
}

fn millis(duration: Duration) -> String {
    format!("{:.1}", duration.as_secs_f64() * 1000.0)
}

fn mib(kib: u64) -> String {
    // Peak RSS is far below 2^52 KiB, so the conversion is exact.
    #[expect(clippy::cast_precision_loss, reason = "small values")]
    let mib = kib as f64 / 1024.0;
    format!("{mib:.1}")
}

fn size(path: &std::path::Path) -> String {
    std::fs::metadata(path).map_or_else(|_| "-".to_owned(), |metadata| metadata.len().to_string())
}

fn row(bin: &str, arch: Arch, samples: &Samples) -> String {
    let dir = super::lambdas::lambda_dir().join(arch.name()).join(bin);
    let starts = &samples.cold_starts;
    let rss: Vec<String> = samples
        .step_rss_kib
        .iter()
        .map(|values| mib(median(values)))
        .collect();
    format!(
        "| {bin} | {} | {} | {} | {} ({}–{}) | {} | {} | {} | {} |\n",
        arch.name(),
        size(&dir.join("bootstrap")),
        size(&dir.join("bootstrap.zip")),
        millis(median(starts)),
        millis(*starts.iter().min().unwrap_or(&Duration::ZERO)),
        millis(*starts.iter().max().unwrap_or(&Duration::ZERO)),
        rss.join(" / "),
        millis(median(&samples.cold_rotation_cpu)),
        millis(median(&samples.cold_rotations)),
        millis(median(&samples.warm_rotations)),
    )
}

#[tokio::test]
#[ignore = "a benchmark, run by scripts/bench-lambda"]
async fn bench_lambda() {
    let arch = match std::env::var("ROTOR_BENCH_ARCH").as_deref() {
        Ok("arm64") => Arch::Arm64,
        Ok("x86_64") | Err(_) => Arch::X86_64,
        Ok(other) => panic!("ROTOR_BENCH_ARCH must be x86_64 or arm64, not {other}"),
    };
    let runs: usize =
        std::env::var("ROTOR_BENCH_RUNS").map_or(5, |runs| runs.parse().expect("ROTOR_BENCH_RUNS"));
    assert!(runs > 0, "ROTOR_BENCH_RUNS must be at least 1");
    let bins: Vec<&'static str> = match std::env::var("ROTOR_BENCH_BINS") {
        Ok(list) => list
            .split(',')
            .map(|wanted| {
                ALL.into_iter()
                    .find(|bin| *bin == wanted.trim())
                    .unwrap_or_else(|| panic!("unknown function {wanted}"))
            })
            .collect(),
        Err(_) => ALL.to_vec(),
    };

    let mut table = String::new();
    if let Ok(title) = std::env::var("ROTOR_BENCH_TITLE") {
        let _ = writeln!(table, "### {title}\n");
    }
    let _ = writeln!(
        table,
        "{runs} rotations per function after one warm-up; medians. Cold start: process start to the \
         first `/next`. Peak RSS: VmHWM after each step, fresh process per step. Rotation: the four \
         steps with a fresh process each (spawn to response), or in one warm process. CPU: user + \
         system time of the function's processes over a rotation (schedstat), which other load on \
         the machine barely moves.\n"
    );
    table.push_str(
        "| function | arch | bootstrap bytes | zip bytes | cold start ms (min–max) | peak RSS MiB create / set / test / finish | CPU ms per rotation, fresh processes | rotation ms, fresh process per step | rotation ms, warm process |\n",
    );
    table.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for bin in bins {
        let samples = measure(bin, arch, runs).await;
        table.push_str(&row(bin, arch, &samples));
    }
    eprintln!("\n{table}");
    if let Ok(path) = std::env::var("ROTOR_BENCH_OUT") {
        std::fs::write(&path, &table).unwrap_or_else(|error| panic!("write {path}: {error}"));
    }
}
