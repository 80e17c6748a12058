//! `rotor check`: the migration preflight, against real PostgreSQL and MariaDB servers, the local
//! store and moto. Each failing check has its own secret; every test also proves that nothing
//! changed: the store's versions and labels, and no statement that changes state in the
//! database's statement log.

use rotor_core::SecretsManager;
use rotor_testkit::{MariaDbOptions, MariaDbServer, MotoServer, PostgresOptions, PostgresServer};

use super::support::{Run, Sandbox, aws_command};

/// The statements in a log line that change state, if the line is one.
fn changes_state(statement: &str) -> bool {
    let statement = statement.trim_start().to_ascii_uppercase();
    [
        "ALTER ",
        "CREATE ",
        "GRANT ",
        "REVOKE ",
        "DROP ",
        "RENAME ",
        "SET PASSWORD",
    ]
    .iter()
    .any(|verb| statement.starts_with(verb))
}

/// PostgreSQL's log (`log_statement=all`): the statements that change state.
fn postgres_changes(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| line.split_once("statement: ").map(|(_, sql)| sql))
        .filter(|sql| changes_state(sql))
        .map(str::to_owned)
        .collect()
}

/// MariaDB's general log: the statements that change state.
fn mariadb_changes(log: &str) -> Vec<String> {
    log.lines()
        .filter_map(|line| line.split_once("Query\t").map(|(_, sql)| sql))
        .filter(|sql| changes_state(sql))
        .map(str::to_owned)
        .collect()
}

/// The table row of `secret`, and the `why:` line under it when it failed.
fn row<'a>(run: &'a Run, secret: &str) -> (&'a str, Option<&'a str>) {
    let lines: Vec<&str> = run.stdout.lines().collect();
    let at = lines
        .iter()
        .position(|line| line.trim_start().starts_with(&format!("{secret} ")));
    assert!(at.is_some(), "no row for {secret}:\n{}", run.stdout);
    let at = at.unwrap();
    let why = lines
        .get(at + 1)
        .filter(|line| line.trim_start().starts_with("why: "))
        .copied();
    (lines[at], why)
}

fn json(value: &serde_json::Value) -> String {
    value.to_string()
}

#[tokio::test]
async fn check_against_postgres_names_each_failing_check_and_changes_nothing() {
    let server = PostgresServer::start_with(PostgresOptions::new().tls(true))
        .await
        .unwrap();
    server
        .admin_sql("CREATE ROLE app LOGIN PASSWORD 'app-password-1';")
        .await
        .unwrap();
    let sandbox = Sandbox::new();
    sandbox.create("master", &json(&server.superuser_secret_json()));
    let mut wrong_master = server.superuser_secret_json();
    wrong_master["password"] = "not-the-master-password".into();
    sandbox.create("wrong-master", &json(&wrong_master));
    let model = sandbox.model();
    let master_arn = model.describe_secret("master").await.unwrap().arn;
    let wrong_master_arn = model.describe_secret("wrong-master").await.unwrap().arn;
    let app = server.secret_json("app", "app-password-1");

    sandbox.create("single/ok", &json(&app));
    let mut bad_password = app.clone();
    bad_password["password"] = "wrong-password".into();
    sandbox.create("single/bad-password", &json(&bad_password));
    let mut untrusted = app.clone();
    untrusted.as_object_mut().unwrap().remove("ssl_ca").unwrap();
    sandbox.create("single/untrusted-ca", &json(&untrusted));
    let mut multi = app.clone();
    multi["masterarn"] = master_arn.clone().into();
    sandbox.create("multi/ok", &json(&multi));
    sandbox.create("multi/no-masterarn", &json(&app));
    let mut refused_master = app.clone();
    refused_master["masterarn"] = wrong_master_arn.into();
    sandbox.create("multi/master-refused", &json(&refused_master));
    server
        .admin_sql("CREATE ROLE weak LOGIN PASSWORD 'weak-password-1';")
        .await
        .unwrap();
    sandbox.create(
        "weak-master",
        &json(&server.secret_json("weak", "weak-password-1")),
    );
    let weak_master_arn = sandbox.model().describe_secret("weak-master").await.unwrap().arn;
    let mut weak = app.clone();
    weak["masterarn"] = weak_master_arn.into();
    sandbox.create("multi/weak-master", &json(&weak));
    let mut long = server.secret_json(&"a".repeat(58), "whatever");
    long["masterarn"] = master_arn.into();
    sandbox.create("multi/long-name", &json(&long));
    let mut mysql = app.clone();
    mysql["engine"] = "mysql".into();
    sandbox.create("other/mysql", &json(&mysql));

    sandbox.create("state/disabled", &json(&app));
    sandbox
        .rotor(&["secret", "rotation", "state/disabled", "off"])
        .expect(0);
    sandbox.create("state/stuck", &json(&app));
    let stuck = sandbox.model();
    stuck.start_rotation("state/stuck").unwrap();
    sandbox.save(&stuck);

    let store_before = std::fs::read(sandbox.store_path()).unwrap();
    let log_before = server.log().unwrap().len();

    let run = sandbox.rotor(&["check", "single/ok", "--rotator", "postgres-single-user"]);
    run.expect(0);
    let (ok, why) = row(&run, "single/ok");
    assert!(ok.contains(" ok "), "{ok}");
    assert_eq!(why, None);
    assert!(
        run.stdout.contains(
            "passed: secret readable, rotation enabled, no rotation in progress, AWSCURRENT parses, \
             TLS verified, AWSCURRENT logs in, configuration test, password policy"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("nothing is written"), "{}", run.stdout);

    let run = sandbox.rotor(&[
        "check",
        "single/bad-password",
        "--rotator",
        "postgres-single-user",
    ]);
    run.expect(1);
    let (failed, why) = row(&run, "single/bad-password");
    assert!(
        failed.contains("FAIL") && failed.contains("AWSCURRENT logs in"),
        "{failed}"
    );
    assert!(
        failed.contains("AWSCURRENT's password does not log in"),
        "{failed}"
    );
    assert!(
        why.unwrap().contains("refused the current credential"),
        "{}",
        run.stdout
    );

    let run = sandbox.rotor(&[
        "check",
        "single/untrusted-ca",
        "--rotator",
        "postgres-single-user",
    ]);
    run.expect(1);
    let (failed, why) = row(&run, "single/untrusted-ca");
    assert!(
        failed.contains("TLS verified") && failed.contains("ssl_ca"),
        "{failed}"
    );
    assert!(why.unwrap().contains("TLS handshake"), "{}", run.stdout);

    let run = sandbox.rotor(&[
        "check",
        "--all",
        "--filter",
        "multi/",
        "--rotator",
        "postgres-multi-user",
    ]);
    run.expect(1);
    let (ok, _) = row(&run, "multi/ok");
    assert!(ok.contains(" ok "), "{}", run.stdout);
    let expected = [
        ("multi/no-masterarn", "masterarn present", "masterarn"),
        ("multi/master-refused", "master logs in", "refused"),
        ("multi/long-name", "clone name fits", "63 bytes"),
        ("multi/weak-master", "master privileges", "CREATEROLE"),
    ];
    for (secret, check, reason) in expected {
        let (failed, why) = row(&run, secret);
        assert!(failed.contains("FAIL") && failed.contains(check), "{failed}");
        assert!(why.unwrap().contains(reason), "{secret}: {}", run.stdout);
    }
    assert!(
        run.stdout
            .contains("summary: 5 secret(s), 1 would rotate, 4 would fail"),
        "{}",
        run.stdout
    );
    let run = sandbox.rotor(&["check", "multi/ok", "--rotator", "postgres-multi-user"]);
    run.expect(0);
    assert!(
        run.stdout
            .contains("master secret resolves, master logs in, master privileges, configuration test"),
        "{}",
        run.stdout
    );

    let run = sandbox.rotor(&[
        "check",
        "--all",
        "--filter",
        "state/",
        "--rotator",
        "postgres-single-user",
    ]);
    run.expect(1);
    let (disabled, _) = row(&run, "state/disabled");
    assert!(
        disabled.contains("rotation enabled") && disabled.contains("rotor secret rotation state/disabled on"),
        "{disabled}"
    );
    let (stuck, why) = row(&run, "state/stuck");
    assert!(
        stuck.contains("no rotation in progress") && stuck.contains("--resume"),
        "{stuck}"
    );
    assert!(
        why.unwrap().contains("AWSPENDING is on version"),
        "{}",
        run.stdout
    );

    let run = sandbox.rotor(&["check", "no/such", "--rotator", "postgres-single-user"]);
    run.expect(1);
    let (failed, why) = row(&run, "no/such");
    assert!(
        failed.contains("secret readable") && failed.contains("rotor secret list"),
        "{failed}"
    );
    assert!(why.unwrap().contains("not found"), "{}", run.stdout);

    let logins_before = server.log().unwrap().len();
    let run = sandbox.rotor(&["check", "other/mysql", "--rotator", "postgres-single-user"]);
    run.expect(1);
    assert_eq!(
        run.stderr_lines().last().copied(),
        Some(
            "error: --rotator postgres-single-user does not match secret other/mysql, whose engine is \
             \"mysql\": use --rotator mysql-single-user or mysql-multi-user"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("checking"), "{}", run.stdout);
    assert_eq!(
        server.log().unwrap().len(),
        logins_before,
        "a mismatched engine is refused before any connection"
    );

    let run = sandbox.rotor(&[
        "check",
        "--all",
        "--filter",
        "=x",
        "--rotator",
        "postgres-single-user",
    ]);
    run.expect(1);
    assert!(
        run.stderr.contains("error: unknown filter \"=x\""),
        "{}",
        run.stderr
    );

    assert_eq!(
        std::fs::read(sandbox.store_path()).unwrap(),
        store_before,
        "the local store is byte for byte unchanged"
    );
    let log = server.log().unwrap();
    let during = &log[log_before..];
    assert!(during.contains("connection authorized"), "the checks did log in");
    assert_eq!(postgres_changes(during), Vec::<String>::new());
    assert!(!run.all().contains("app-password-1"));
}

/// Redshift's rotators get the same checks through the same kit, on PostgreSQL standing in on
/// the wire (md5 passwords and logins, the `dev` database). A superuser master (Redshift's admin
/// user) holds every privilege; another's privileges through Redshift's roles cannot be told ahead
/// of time, so for it that check is not listed as passed.
#[tokio::test]
async fn check_with_the_redshift_rotators_runs_the_kits_checks_on_the_stand_in() {
    let server = PostgresServer::start_with(PostgresOptions::new().md5_passwords(true))
        .await
        .unwrap();
    server
        .admin_sql("CREATE DATABASE dev; CREATE USER app PASSWORD 'app-Password-1';")
        .await
        .unwrap();
    let redshift = |user: &str, password: &str| {
        let mut secret = server.secret_json(user, password);
        secret["engine"] = "redshift".into();
        secret.as_object_mut().unwrap().remove("dbname");
        secret
    };
    let sandbox = Sandbox::new();
    let (admin, admin_password) = server.superuser();
    sandbox.create("rs-admin", &json(&redshift(admin, admin_password)));
    let master_arn = sandbox.model().describe_secret("rs-admin").await.unwrap().arn;
    let mut app = redshift("app", "app-Password-1");
    app["masterarn"] = master_arn.into();
    sandbox.create("rs/app", &json(&app));
    let mut refused = app.clone();
    refused["password"] = "wrong-Password-1".into();
    sandbox.create("rs/refused", &json(&refused));
    server
        .admin_sql("CREATE USER operator PASSWORD 'operator-Password-1';")
        .await
        .unwrap();
    sandbox.create("rs-operator", &json(&redshift("operator", "operator-Password-1")));
    let operator_arn = sandbox.model().describe_secret("rs-operator").await.unwrap().arn;
    let mut by_operator = app.clone();
    by_operator["masterarn"] = operator_arn.into();
    sandbox.create("rs/by-operator", &json(&by_operator));
    let log_before = server.log().unwrap().len();

    let run = sandbox.rotor(&["check", "rs/app", "--rotator", "redshift-multi-user"]);
    run.expect(0);
    assert!(
        run.stdout.contains(
            "passed: secret readable, rotation enabled, no rotation in progress, AWSCURRENT parses, \
             masterarn present, clone name fits, AWSCURRENT logs in, master secret resolves, \
             master logs in, master privileges, configuration test, password policy"
        ),
        "{}",
        run.stdout
    );
    let run = sandbox.rotor(&["check", "rs/by-operator", "--rotator", "redshift-multi-user"]);
    run.expect(0);
    assert!(
        run.stdout
            .contains("master secret resolves, master logs in, configuration test, password policy"),
        "not a superuser: its privileges are not told ahead of time\n{}",
        run.stdout
    );
    let run = sandbox.rotor(&["check", "rs/refused", "--rotator", "redshift-single-user"]);
    run.expect(1);
    let (failed, why) = row(&run, "rs/refused");
    assert!(failed.contains("AWSCURRENT logs in"), "{failed}");
    assert!(
        why.unwrap().contains("refused the current credential"),
        "{}",
        run.stdout
    );

    let log = server.log().unwrap();
    assert_eq!(postgres_changes(&log[log_before..]), Vec::<String>::new());
}

#[tokio::test]
async fn check_against_mariadb_names_each_failing_check_and_changes_nothing() {
    let server = MariaDbServer::start_with(MariaDbOptions::new().tls(true))
        .await
        .unwrap();
    server
        .admin_sql("CREATE USER 'app'@'%' IDENTIFIED BY 'app-password-1';")
        .await
        .unwrap();
    let sandbox = Sandbox::new();
    sandbox.create("master", &json(&server.admin_secret_json()));
    let mut wrong_master = server.admin_secret_json();
    wrong_master["password"] = "not-the-admin-password".into();
    sandbox.create("wrong-master", &json(&wrong_master));
    let model = sandbox.model();
    let master_arn = model.describe_secret("master").await.unwrap().arn;
    let wrong_master_arn = model.describe_secret("wrong-master").await.unwrap().arn;
    let mut app = server.secret_json("app", "app-password-1");
    app["masterarn"] = master_arn.clone().into();

    sandbox.create("db/ok", &json(&app));
    let mut bad_password = app.clone();
    bad_password["password"] = "wrong-password".into();
    sandbox.create("db/bad-password", &json(&bad_password));
    let mut untrusted = app.clone();
    untrusted.as_object_mut().unwrap().remove("ssl_ca").unwrap();
    sandbox.create("db/untrusted-ca", &json(&untrusted));
    let mut no_master = app.clone();
    no_master.as_object_mut().unwrap().remove("masterarn");
    sandbox.create("db/no-masterarn", &json(&no_master));
    let mut refused_master = app.clone();
    refused_master["masterarn"] = wrong_master_arn.into();
    sandbox.create("db/master-refused", &json(&refused_master));
    let mut long = server.secret_json(&"b".repeat(75), "whatever");
    long["masterarn"] = master_arn.into();
    sandbox.create("db/long-name", &json(&long));
    let mut postgres = app.clone();
    postgres["engine"] = "postgres".into();
    sandbox.create("pg/app", &json(&postgres));

    let store_before = std::fs::read(sandbox.store_path()).unwrap();
    let log_before = server.general_log().unwrap().len();

    let run = sandbox.rotor(&[
        "check",
        "--all",
        "--filter",
        "db/",
        "--rotator",
        "mysql-multi-user",
    ]);
    run.expect(1);
    let (ok, _) = row(&run, "db/ok");
    assert!(ok.contains(" ok "), "{}", run.stdout);
    let expected = [
        (
            "db/bad-password",
            "AWSCURRENT logs in",
            "refused the current credential",
        ),
        ("db/untrusted-ca", "TLS verified", "TLS handshake"),
        ("db/no-masterarn", "masterarn present", "masterarn"),
        ("db/master-refused", "master logs in", "refused"),
        ("db/long-name", "clone name fits", "80 characters"),
    ];
    for (secret, check, reason) in expected {
        let (failed, why) = row(&run, secret);
        assert!(failed.contains("FAIL") && failed.contains(check), "{failed}");
        assert!(why.unwrap().contains(reason), "{secret}: {}", run.stdout);
    }
    assert!(
        run.stdout
            .contains("summary: 6 secret(s), 1 would rotate, 5 would fail"),
        "{}",
        run.stdout
    );

    let run = sandbox.rotor(&[
        "check",
        "--all",
        "--filter",
        "pg/",
        "--rotator",
        "mysql-single-user",
    ]);
    run.expect(1);
    assert!(
        run.stderr.contains(
            "error: --rotator mysql-single-user does not match secret pg/app, whose engine is \"postgres\""
        ),
        "{}",
        run.stderr
    );

    assert_eq!(std::fs::read(sandbox.store_path()).unwrap(), store_before);
    let log = server.general_log().unwrap();
    let during = &log[log_before..];
    assert!(during.contains("Connect"), "the checks did log in: {during}");
    assert_eq!(mariadb_changes(during), Vec::<String>::new());
}

#[tokio::test]
async fn check_against_moto_leaves_every_version_and_label_as_it_was() {
    let server = PostgresServer::start().await.unwrap();
    server
        .admin_sql("CREATE ROLE app LOGIN PASSWORD 'app-password-1';")
        .await
        .unwrap();
    let moto = MotoServer::start().await.unwrap();
    let master_arn = moto
        .create_secret("master", &server.superuser_secret_json(), &[])
        .await
        .unwrap();
    let mut app = server.secret_json("app", "app-password-1");
    app["masterarn"] = master_arn.into();
    moto.create_secret("svc/ok", &app, &[("team", "payments")])
        .await
        .unwrap();
    let mut bad = app.clone();
    bad["password"] = "wrong-password".into();
    moto.create_secret("svc/bad-password", &bad, &[("team", "payments")])
        .await
        .unwrap();
    let client = moto.secrets_manager().await.client().clone();
    let labels = || async {
        let mut all = Vec::new();
        for name in ["master", "svc/ok", "svc/bad-password"] {
            let described = client.describe_secret().secret_id(name).send().await.unwrap();
            let mut stages: Vec<(String, Vec<String>)> = described
                .version_ids_to_stages()
                .unwrap()
                .iter()
                .map(|(id, stages)| (id.clone(), stages.clone()))
                .collect();
            stages.sort();
            all.push((name, stages));
        }
        all
    };
    let before = labels().await;
    let log_before = server.log().unwrap().len();
    let sandbox = Sandbox::new();

    let run = sandbox.run(
        aws_command(
            &sandbox,
            &moto.endpoint(),
            &[
                "check",
                "--all",
                "--filter",
                "team=payments",
                "--rotator",
                "postgres-multi-user",
            ],
        ),
        None,
    );
    run.expect(1);
    assert!(row(&run, "svc/ok").0.contains(" ok "), "{}", run.stdout);
    let (failed, _) = row(&run, "svc/bad-password");
    assert!(failed.contains("AWSCURRENT logs in"), "{failed}");

    let run = sandbox.run(
        aws_command(
            &sandbox,
            &moto.endpoint(),
            &["check", "svc/ok", "--rotator", "postgres-multi-user"],
        ),
        None,
    );
    run.expect(0);
    assert!(run.stdout.contains("master logs in"), "{}", run.stdout);

    assert_eq!(labels().await, before, "versions and labels are unchanged");
    let log = server.log().unwrap();
    assert_eq!(postgres_changes(&log[log_before..]), Vec::<String>::new());
}
