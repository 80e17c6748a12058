//! Bad input: each a one-line error before anything is called (no store opened, no secret
//! read or written), with exit code 1; and secrets without a rotation function for
//! `--via-service`, refused (one secret) or reported as "not configured" (a fleet) without a
//! RotateSecret call.

use rotor_testkit::MotoServer;

use super::support::{Run, Sandbox, aws_command, hmac_secret};

/// The only line of stderr, asserting there is exactly one.
fn only_line(run: &Run) -> &str {
    let lines = run.stderr_lines();
    assert_eq!(lines.len(), 1, "expected one line of stderr, got {lines:?}");
    lines[0]
}

#[test]
fn unknown_filters_are_one_line_errors_before_the_store_is_opened() {
    let sandbox = Sandbox::new();
    let cases = [
        ("", "a filter is a name prefix or TAG=VALUE"),
        ("=payments", "a tag filter needs a tag key before '=' (TAG=VALUE)"),
        ("foo=bar=baz", "a tag filter has one '=' (TAG=VALUE)"),
        ("team=", "a tag filter needs a value after '=' (TAG=VALUE)"),
        (
            "name:prod",
            "a name prefix has only the characters of secret names (letters, digits and /_+=.@-); a tag \
             filter is TAG=VALUE",
        ),
    ];
    for (filter, problem) in cases {
        let expected = format!("error: unknown filter {filter:?}: {problem}");
        for command in [
            vec!["rotate", "--all", "--filter", filter, "--rotator", "hmac-key"],
            vec!["rotate", "--all", "--filter", filter, "--via-service"],
            vec!["check", "--all", "--filter", filter, "--rotator", "hmac-key"],
        ] {
            let run = sandbox.rotor(&command);
            run.expect(1);
            assert_eq!(only_line(&run), expected, "{command:?}");
            assert!(run.stdout.is_empty(), "{command:?}: {}", run.stdout);
        }
    }
    assert!(!sandbox.store_path().exists(), "no store was even opened");
}

#[test]
fn a_rate_that_is_not_a_positive_number_is_refused_before_anything_is_called() {
    let sandbox = Sandbox::new();
    for (rate, shown) in [
        ("0", "0"),
        ("-1", "-1"),
        ("NaN", "NaN"),
        ("inf", "inf"),
        ("-0", "-0"),
    ] {
        for mode in ["--rotator=hmac-key", "--via-service"] {
            let run = sandbox.rotor(&["rotate", "--all", "--filter", "app/", mode, "--rate", rate]);
            run.expect(1);
            assert_eq!(
                only_line(&run),
                format!("error: --rate must be a positive number of secrets per second, not {shown}"),
                "--rate {rate} {mode}"
            );
        }
    }
    assert!(!sandbox.store_path().exists(), "no store was even opened");
}

#[test]
fn via_service_on_the_local_store_is_one_line_saying_why() {
    let sandbox = Sandbox::new();
    sandbox.create("app/key", &hmac_secret(1));
    let before = std::fs::read(sandbox.store_path()).unwrap();
    for (command, name) in [
        (vec!["rotate", "app/key", "--via-service"], "rotate"),
        (vec!["check", "app/key", "--via-service"], "check"),
    ] {
        let run = sandbox.rotor(&command);
        run.expect(1);
        assert_eq!(
            run.stderr_lines().last().copied(),
            Some(
                format!(
                    "error: {name} --via-service needs AWS Secrets Manager (--store aws or --endpoint-url): it \
                     asks each secret's deployed rotation function, which the local store does not have; use \
                     --rotator to run the rotator here"
                )
                .as_str()
            )
        );
    }
    assert_eq!(std::fs::read(sandbox.store_path()).unwrap(), before);
    let both = sandbox.rotor(&["rotate", "app/key", "--via-service", "--rotator", "hmac-key"]);
    both.expect(2);
    assert!(
        both.stderr
            .contains("'--via-service' cannot be used with '--rotator <ROTATOR>'"),
        "the deployed function is the rotator: {}",
        both.stderr
    );
}

#[tokio::test]
async fn a_fleet_with_a_secret_of_another_engine_is_refused_naming_it_before_any_write() {
    let moto = MotoServer::start().await.unwrap();
    let client = moto.secrets_manager().await.client().clone();
    for (name, value) in [
        ("app/key", hmac_secret(2)),
        (
            "app/db",
            r#"{"engine":"postgres","username":"app","password":"x"}"#.to_owned(),
        ),
    ] {
        client
            .create_secret()
            .name(name)
            .secret_string(value)
            .send()
            .await
            .unwrap();
    }
    let sandbox = Sandbox::new();
    let args = ["rotate", "--all", "--filter", "app/", "--rotator", "hmac-key"];
    let run = sandbox.run(aws_command(&sandbox, &moto.endpoint(), &args), None);
    run.expect(1);
    assert_eq!(
        run.stderr_lines().last().copied(),
        Some(
            "error: --rotator hmac-key does not match 1 of 2 secrets, e.g. app/db (engine \"postgres\"): narrow \
             --filter, or use --rotator postgres-single-user or postgres-multi-user"
        )
    );
    let key = client
        .list_secret_version_ids()
        .secret_id("app/key")
        .send()
        .await
        .unwrap();
    assert_eq!(key.versions().len(), 1, "nothing was rotated");
}

#[tokio::test]
async fn a_secret_without_a_rotation_function_is_refused_or_not_configured_and_never_rotated() {
    let moto = MotoServer::start().await.unwrap();
    let client = moto.secrets_manager().await.client().clone();
    for index in 0..3 {
        client
            .create_secret()
            .name(format!("plain/key-{index}"))
            .secret_string(hmac_secret(index))
            .send()
            .await
            .unwrap();
    }
    let sandbox = Sandbox::new();

    let one = sandbox.run(
        aws_command(
            &sandbox,
            &moto.endpoint(),
            &["rotate", "plain/key-0", "--via-service"],
        ),
        None,
    );
    one.expect(1);
    let lines = one.stderr_lines();
    assert_eq!(
        lines.get(1).copied(),
        Some(
            "error: secret plain/key-0 cannot be rotated --via-service: no rotation function configured \
             (RotationLambdaARN is not set)"
        ),
        "{}",
        one.stderr
    );
    assert!(
        lines
            .get(2)
            .is_some_and(|line| line.starts_with("  what to do: configure rotation")),
        "{}",
        one.stderr
    );

    let fleet = sandbox.run(
        aws_command(
            &sandbox,
            &moto.endpoint(),
            &["rotate", "--all", "--filter", "plain/", "--via-service"],
        ),
        None,
    );
    fleet.expect(0);
    let rows: Vec<&str> = fleet
        .stdout
        .lines()
        .filter(|line| line.contains("plain/key-"))
        .collect();
    assert_eq!(rows.len(), 3, "{}", fleet.stdout);
    for row in rows {
        assert!(
            row.contains("not configured") && row.contains("(RotationLambdaARN is not set); not called"),
            "{row}"
        );
    }
    assert!(
        fleet.stdout.contains(
            "summary: 3 secrets, 0 rotated, 0 failed, 3 not configured, 0 throttled call(s) retried"
        ),
        "{}",
        fleet.stdout
    );

    let check = sandbox.run(
        aws_command(
            &sandbox,
            &moto.endpoint(),
            &["check", "plain/key-1", "--via-service"],
        ),
        None,
    );
    check.expect(1);
    assert!(
        check
            .stdout
            .lines()
            .any(|line| line.contains("FAIL") && line.contains("rotation function set")),
        "{}",
        check.stdout
    );
    for index in 0..3 {
        let versions = client
            .list_secret_version_ids()
            .secret_id(format!("plain/key-{index}"))
            .send()
            .await
            .unwrap();
        // moto's RotateSecret without a function would have moved AWSCURRENT to a new version.
        assert_eq!(versions.versions().len(), 1, "plain/key-{index} is untouched");
    }
}
