//! The trust boundary: whoever writes a child secret or owns a child's database must not be able
//! to steer the master, or to make a stored password go to a server it does not belong to.

use std::sync::{Arc, Mutex};

use rotor_core::secrets_manager::PutSecretValue;
use rotor_core::{InMemorySecretsManager, SecretValue, SecretsManager, StagingLabel, Step};
use rotor_postgres::{AlternatingUsers, SingleUser};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::support::{Db, Harness, error_type, store_master};

const INITIAL: &str = "initial-Password-1";
const MASTER: &str = "master-Password-1";

/// Every privilege escalation the planted code tries when the master runs it. Each attempt is on
/// its own, so one that the master may not do does not stop the others.
const PAYLOAD: &str = "
    BEGIN EXECUTE 'ALTER ROLE app SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;
    BEGIN EXECUTE 'GRANT pg_read_all_data TO app'; EXCEPTION WHEN OTHERS THEN NULL; END;
    BEGIN EXECUTE 'ALTER ROLE app_clone SUPERUSER'; EXCEPTION WHEN OTHERS THEN NULL; END;";

/// As `app`, in `database`: functions and an operator that shadow the catalog's for anyone whose
/// `search_path` reaches `public` (exact-type overloads win over `pg_catalog`'s polymorphic ones
/// wherever they sit on the path). In the database it owns, also a database-level `search_path`
/// that puts `public` first for every session, the master's included.
fn trap(database: &str, owned: bool) -> String {
    let path = if owned {
        format!("ALTER DATABASE {database} SET search_path = public, pg_catalog;")
    } else {
        String::new()
    };
    format!(
        "\\connect {database} app
         CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
         BEGIN {PAYLOAD} RETURN QUERY SELECT pg_catalog.unnest($1); END $$;
         CREATE FUNCTION public.bool_or_step(boolean, boolean) RETURNS boolean LANGUAGE plpgsql AS $$
         BEGIN {PAYLOAD} RETURN $1 OR $2; END $$;
         CREATE AGGREGATE public.bool_or(boolean) (SFUNC = public.bool_or_step, STYPE = boolean);
         CREATE FUNCTION public.oid_eq(oid, oid) RETURNS boolean LANGUAGE plpgsql AS $$
         BEGIN {PAYLOAD} RETURN $1 OPERATOR(pg_catalog.=) $2; END $$;
         CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = oid, FUNCTION = public.oid_eq);
         {path}"
    )
}

/// Roles that hold superuser or `pg_read_all_data`, other than the bootstrap superuser.
async fn escalated(db: &Db) -> String {
    db.psql(
        "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles
          WHERE rolname <> 'postgres'
            AND rolname NOT LIKE 'pg\\_%'
            AND (rolsuper OR pg_has_role(oid, 'pg_read_all_data', 'MEMBER'));",
    )
    .await
    .trim()
    .to_owned()
}

#[tokio::test]
async fn a_child_that_owns_its_database_cannot_make_the_master_run_its_code() {
    let db = Db::start().await;
    // The worst case: a superuser master, which could do anything the planted code asks.
    db.create_user("master", MASTER, "SUPERUSER").await;
    db.create_user("app", INITIAL, "").await;
    db.psql("CREATE DATABASE appdb OWNER app;").await;
    db.psql(&format!(
        "{}\nALTER ROLE app SET statement_timeout = '5s';",
        trap("appdb", true)
    ))
    .await;
    // The master's own database as PostgreSQL 14 and older ship it: everyone may create objects
    // in `public`, which every default `search_path` reaches.
    db.psql("GRANT CREATE ON SCHEMA public TO PUBLIC;").await;
    db.psql(&trap("postgres", false)).await;
    // The trap is armed: a privileged session in that database that calls `unnest` unqualified
    // runs the payload.
    db.psql("\\connect appdb postgres\nSELECT unnest(ARRAY['x']::text[]);")
        .await;
    assert_eq!(escalated(&db).await, "app,master");
    db.psql("ALTER ROLE app NOSUPERUSER; REVOKE pg_read_all_data FROM app;")
        .await;
    db.psql("SELECT unnest(ARRAY['x']::text[]);").await;
    assert_eq!(
        escalated(&db).await,
        "app,master",
        "armed in the master's database too"
    );
    db.psql("ALTER ROLE app NOSUPERUSER; REVOKE pg_read_all_data FROM app;")
        .await;
    assert_eq!(escalated(&db).await, "master");

    let model = InMemorySecretsManager::new();
    let master_arn = store_master(&model, &db, "master", MASTER);
    let mut secret = db.secret("app", INITIAL);
    secret["dbname"] = json!("appdb");
    secret["masterarn"] = json!(master_arn);
    let alternating = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });
    // The configuration test reads the master's rights through the same planted traps.
    alternating.test_configuration().await.unwrap();
    alternating.rotate().await.unwrap();
    alternating.rotate().await.unwrap();
    let (user, password) = alternating.credential(StagingLabel::Current).await;
    assert_eq!(user, "app");
    let mut solo = db.secret("app", &password);
    solo["dbname"] = json!("appdb");
    let single = Harness::new(&solo, |faults| SingleUser::new().with_fault_points(faults));
    single.rotate().await.unwrap();

    assert_eq!(escalated(&db).await, "master", "no role gained a privilege");
    let log = db.log();
    let master_sessions: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("connection authorized: user=master"))
        .collect();
    assert!(!master_sessions.is_empty());
    assert!(
        master_sessions
            .iter()
            .all(|line| line.contains("database=postgres")),
        "the master connects to its own database only: {master_sessions:?}"
    );
}

/// A loopback server that speaks just enough of PostgreSQL's protocol to ask for a cleartext
/// password, records every password it is sent, and refuses it.
struct PasswordCollector {
    port: u16,
    received: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl PasswordCollector {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = Arc::clone(&sink);
                tokio::spawn(async move {
                    if let Some(password) = collect(stream).await {
                        sink.lock().unwrap().push(password);
                    }
                });
            }
        });
        Self { port, received, task }
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for PasswordCollector {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// One connection: startup (declining TLS), AuthenticationCleartextPassword, the password, then
/// "password authentication failed".
async fn collect(mut stream: TcpStream) -> Option<String> {
    const SSL_REQUEST: u32 = 80_877_103;
    loop {
        let length = stream.read_u32().await.ok()?;
        let mut body = vec![0; usize::try_from(length).ok()?.checked_sub(4)?];
        stream.read_exact(&mut body).await.ok()?;
        if body.get(..4) == Some(&SSL_REQUEST.to_be_bytes()[..]) {
            stream.write_all(b"N").await.ok()?;
            continue;
        }
        break;
    }
    stream.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3]).await.ok()?;
    let kind = stream.read_u8().await.ok()?;
    let length = stream.read_u32().await.ok()?;
    let mut body = vec![0; usize::try_from(length).ok()?.checked_sub(4)?];
    stream.read_exact(&mut body).await.ok()?;
    let mut error = b"SFATAL\0C28P01\0Mpassword authentication failed\0\0".to_vec();
    let length = u32::try_from(error.len() + 4).ok()?;
    let mut message = vec![b'E'];
    message.extend_from_slice(&length.to_be_bytes());
    message.append(&mut error);
    let _ignored = stream.write_all(&message).await;
    (kind == b'p').then(|| String::from_utf8_lossy(body.strip_suffix(&[0]).unwrap_or(&body)).into_owned())
}

/// What a writer who cannot read the secret does: a new AWSCURRENT that points at their server
/// in plaintext. Secrets Manager moves AWSPREVIOUS to the real credential.
async fn redirect_current<R: rotor_core::Rotator>(
    harness: &Harness<R>,
    db: &Db,
    port: u16,
    extra: &[(&str, Value)],
) {
    let mut hostile = db.secret("app", "the-writer-knows-this-1");
    hostile["host"] = json!("127.0.0.1");
    hostile["port"] = json!(port);
    hostile["ssl"] = json!(false);
    for (key, value) in extra {
        hostile[*key] = value.clone();
    }
    harness
        .model()
        .put_secret_value(PutSecretValue {
            secret_id: &harness.arn,
            client_request_token: "hostile-version-0000000000000000000001",
            value: &SecretValue::new(hostile.to_string()),
            stages: &[StagingLabel::Current],
            rotation_token: None,
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn single_user_recovery_never_sends_an_older_password_to_a_redirected_host() {
    let db = Db::start_tls().await;
    db.create_user("app", INITIAL, "").await;
    let collector = PasswordCollector::start().await;
    let harness = Harness::new(&db.secret("app", INITIAL), |faults| {
        SingleUser::new().with_fault_points(faults)
    });
    redirect_current(&harness, &db, collector.port, &[]).await;
    let (_, previous) = harness.credential(StagingLabel::Previous).await;
    assert_eq!(previous, INITIAL, "the real credential is AWSPREVIOUS now");

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!(
        (step, error_type(&error)),
        (Step::SetSecret, "NoWorkingCredential")
    );
    let received = collector.received();
    assert!(
        !received.is_empty(),
        "the collector works: it saw the writer's own credential"
    );
    for password in &received {
        assert!(
            !db.can_login("app", password).await,
            "the collector received a password that logs in to the real server"
        );
    }
    assert!(db.can_login("app", INITIAL).await);
}

#[tokio::test]
async fn the_master_password_never_follows_a_redirected_child() {
    let db = Db::start().await;
    db.create_user("master", MASTER, "CREATEROLE").await;
    db.create_user("app", INITIAL, "").await;
    let collector = PasswordCollector::start().await;
    let model = InMemorySecretsManager::new();
    let master_arn = store_master(&model, &db, "master", MASTER);
    let mut secret = db.secret("app", INITIAL);
    secret["masterarn"] = json!(master_arn);
    let harness = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });
    redirect_current(&harness, &db, collector.port, &[("masterarn", json!(master_arn))]).await;

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!(step, Step::SetSecret);
    assert!(
        ["PostgresCurrentRefused", "TargetMismatch"].contains(&error_type(&error)),
        "{error}"
    );
    assert!(
        !collector
            .received()
            .iter()
            .any(|password| password == MASTER || password == INITIAL)
    );
    assert!(db.can_login("master", MASTER).await);
}

#[tokio::test]
async fn a_pending_value_that_turns_tls_off_is_refused_before_any_login() {
    let db = Db::start_tls().await;
    db.create_user("app", INITIAL, "").await;
    let harness = Harness::new(&db.secret("app", INITIAL), |faults| {
        SingleUser::new().with_fault_points(faults)
    });
    let token = harness.start_rotation();
    let mut pending = db.secret("app", "writer-chosen-Password-1");
    pending["ssl"] = json!(false);
    pending.as_object_mut().unwrap().remove("ssl_ca");
    harness
        .model()
        .put_secret_value(PutSecretValue {
            secret_id: &harness.arn,
            client_request_token: &token,
            value: &SecretValue::new(pending.to_string()),
            stages: &[StagingLabel::Pending],
            rotation_token: None,
        })
        .await
        .unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error_type(&error), "TlsWeakened");
    assert!(harness.faults.log().is_empty(), "no connection was made");
    assert!(db.can_login("app", INITIAL).await);
}

#[tokio::test]
async fn a_child_secret_holding_the_masters_credentials_never_rotates_the_master() {
    let db = Db::start().await;
    db.create_user("master", MASTER, "CREATEROLE").await;
    for child_user in ["master", "master_clone"] {
        let model = InMemorySecretsManager::new();
        let master_arn = store_master(&model, &db, "master", MASTER);
        let mut secret = db.secret(child_user, MASTER);
        secret["masterarn"] = json!(master_arn);
        let harness = Harness::with_store(model, &secret, |faults| {
            AlternatingUsers::new().with_fault_points(faults)
        });
        for _ in 0..2 {
            let (step, error) = harness.rotate().await.unwrap_err();
            assert_eq!(
                (step, error_type(&error)),
                (Step::SetSecret, "MasterInPair"),
                "{child_user}"
            );
            harness.cancel_rotation();
        }
        assert!(db.can_login("master", MASTER).await, "{child_user}");
    }
    assert_eq!(
        db.psql("SELECT count(*) FROM pg_roles WHERE rolname LIKE 'master%';")
            .await
            .trim(),
        "1",
        "no clone of the master was created"
    );
}

#[tokio::test]
async fn roles_that_switch_role_at_login_still_finish_both_rotations() {
    let db = Db::start().await;
    db.create_user("master", MASTER, "CREATEROLE").await;
    db.create_user("app", INITIAL, "").await;
    db.create_user("solo", INITIAL, "").await;
    db.psql(
        "CREATE ROLE owners NOLOGIN;
         GRANT owners TO app, solo;
         ALTER ROLE app SET role = 'owners';
         ALTER ROLE solo SET role = 'owners';",
    )
    .await;
    let single = Harness::new(&db.secret("solo", INITIAL), |faults| {
        SingleUser::new().with_fault_points(faults)
    });
    single.rotate().await.unwrap();
    let (_, password) = single.credential(StagingLabel::Current).await;
    assert!(db.can_login("solo", &password).await);

    let model = InMemorySecretsManager::new();
    let master_arn = store_master(&model, &db, "master", MASTER);
    let mut secret = db.secret("app", INITIAL);
    secret["masterarn"] = json!(master_arn);
    let alternating = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });
    alternating.rotate().await.unwrap();
    alternating.rotate().await.unwrap();
    let (user, password) = alternating.credential(StagingLabel::Current).await;
    assert_eq!(user, "app");
    assert!(db.can_login("app", &password).await);
}
