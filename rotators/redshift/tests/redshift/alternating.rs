//! Alternating users on the PostgreSQL stand-in: the clone gets the original's groups and the
//! privileges AWS's function copies, every password is an md5 hash, and an existing user is
//! never taken over on its name alone.

use rotor_core::{Classify, InMemorySecretsManager, StagingLabel, Step};
use rotor_redshift::AlternatingUsers;
use serde_json::json;

use super::support::{Db, Harness};

const INITIAL: &str = "initial-Password-1";

/// `app` with a group, a schema, tables and database privileges, as a Redshift application user.
async fn application(db: &Db) {
    db.create_user("app", INITIAL).await;
    db.sql("CREATE GROUP readers; ALTER GROUP readers ADD USER app; CREATE GROUP unrelated;")
        .await;
    db.dev_sql(
        "CREATE SCHEMA sales;
         CREATE TABLE sales.orders (id int);
         CREATE TABLE sales.secrets (id int);
         CREATE TABLE public.events (id int);
         GRANT USAGE ON SCHEMA sales TO app;
         GRANT SELECT, INSERT ON sales.orders TO app;
         GRANT SELECT ON public.events TO readers;
         GRANT CREATE ON DATABASE dev TO app;",
    )
    .await;
}

async fn count(client: &tokio_postgres::Client, sql: &str) -> Result<i64, tokio_postgres::Error> {
    client.query_one(sql, &[]).await.map(|row| row.get(0))
}

#[tokio::test]
async fn the_clone_gets_the_originals_groups_and_privileges_and_the_pair_alternates() {
    let db = Db::start().await;
    application(&db).await;
    let model = InMemorySecretsManager::new();
    let mut secret = db.secret("app", INITIAL);
    secret["masterarn"] = json!(db.store_master(&model));
    let harness = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });

    let token = harness.rotate().await.unwrap();

    let (user, password) = harness.credential(StagingLabel::Current).await;
    assert_eq!(user, "app_clone");
    db.assert_md5_login("app_clone", &password).await;
    assert!(db.can_login("app", INITIAL).await, "the original keeps working");
    let clone = db.connect("app_clone", &password).await.unwrap();
    assert_eq!(
        count(&clone, "SELECT count(*) FROM sales.orders").await.unwrap(),
        0
    );
    clone
        .execute("INSERT INTO sales.orders VALUES (1)", &[])
        .await
        .unwrap();
    assert_eq!(
        count(&clone, "SELECT count(*) FROM public.events").await.unwrap(),
        0
    );
    assert!(
        count(&clone, "SELECT count(*) FROM sales.secrets").await.is_err(),
        "nothing the original cannot read"
    );
    assert!(clone.execute("DELETE FROM sales.orders", &[]).await.is_err());
    let groups = db
        .sql("SELECT string_agg(groname, ',' ORDER BY groname) FROM pg_group g JOIN pg_user u ON u.usesysid = ANY (g.grolist) WHERE u.usename = 'app_clone';")
        .await;
    assert_eq!(groups.trim(), "readers");
    let create = db
        .sql("SELECT has_database_privilege('app_clone', 'dev', 'CREATE');")
        .await;
    assert_eq!(create.trim(), "t");

    // A retried setSecret of a rotation that already created the clone changes nothing.
    harness.step(&token, Step::SetSecret).await.unwrap();
    assert!(db.can_login("app_clone", &password).await);

    for expected in ["app", "app_clone"] {
        harness.rotate().await.unwrap();

        let (user, password) = harness.credential(StagingLabel::Current).await;
        assert_eq!(user, expected);
        db.assert_md5_login(&user, &password).await;
    }
    assert_eq!(db.failed_logins(), 0, "healthy rotations fail no login");
    assert!(db.log().contains("application_name=rotor-redshift"));
}

#[tokio::test]
async fn an_existing_user_named_like_the_clone_is_never_taken_over() {
    let db = Db::start().await;
    application(&db).await;
    db.create_user("app_clone", "someone-Elses-1").await;
    let model = InMemorySecretsManager::new();
    let mut secret = db.secret("app", INITIAL);
    secret["masterarn"] = json!(db.store_master(&model));
    let harness = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!(step, Step::SetSecret);
    assert_eq!(error.error_type(), "RedshiftNotOurAlternate", "{error}");
    assert!(
        db.can_login("app_clone", "someone-Elses-1").await,
        "its password is unchanged"
    );
}

#[tokio::test]
async fn a_superuser_original_is_not_cloned() {
    let db = Db::start().await;
    db.sql(&format!("CREATE USER boss SUPERUSER PASSWORD '{INITIAL}';"))
        .await;
    let model = InMemorySecretsManager::new();
    let mut secret = db.secret("boss", INITIAL);
    secret["masterarn"] = json!(db.store_master(&model));
    let harness = Harness::with_store(model, &secret, |faults| {
        AlternatingUsers::new().with_fault_points(faults)
    });

    let (step, error) = harness.rotate().await.unwrap_err();

    assert_eq!(
        (step, error.error_type()),
        (Step::SetSecret, "RedshiftSuperuserOriginal")
    );
    assert_eq!(
        db.sql("SELECT count(*) FROM pg_user WHERE usename = 'boss_clone';")
            .await
            .trim(),
        "0"
    );
}
