//! `rotor` against its local store: the store rule, the timeline, the lock, the demo, and that
//! no secret value is printed.

use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{SecretsManager, StagingLabel};

use super::support::{Sandbox, hmac_secret, labels, new_version};

#[tokio::test]
async fn rotate_prints_each_step_with_the_labels_after_it_and_moves_awscurrent() {
    let sandbox = Sandbox::new();
    sandbox.create("app/key", &hmac_secret(1));
    let original = sandbox.model().describe_secret("app/key").await.unwrap();
    let original = original.version_with(StagingLabel::Current).unwrap().to_owned();

    let run = sandbox.rotor(&["rotate", "app/key", "--rotator", "hmac-key"]);
    run.expect(0);
    assert!(
        run.stdout
            .contains("on local store .rotor/store.json (no AWS credentials configured"),
        "the store and the rule that chose it are printed: {}",
        run.stdout
    );
    let steps: Vec<&str> = run
        .stdout
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|word| {
            [
                "RotateSecret",
                "createSecret",
                "setSecret",
                "testSecret",
                "finishSecret",
            ]
            .contains(word)
        })
        .collect();
    assert_eq!(
        steps,
        [
            "RotateSecret",
            "createSecret",
            "setSecret",
            "testSecret",
            "finishSecret"
        ]
    );
    let token = new_version(&run);
    let finish = run
        .stdout
        .lines()
        .find(|line| line.trim_start().starts_with("finishSecret"))
        .unwrap();
    assert!(
        finish.contains(&format!("{} AWSCURRENT+AWSPENDING", &token[..8])),
        "{finish}"
    );
    assert!(
        finish.contains(&format!("{} AWSPREVIOUS", &original[..8])),
        "{finish}"
    );

    let model = sandbox.model();
    let after = labels(&model, "app/key").await;
    assert!(after[&token].contains(&"AWSCURRENT".to_owned()));
    assert_eq!(after[&original], ["AWSPREVIOUS"]);
    sandbox.rotor(&["status", "app/key"]).expect(0);
}

#[tokio::test]
async fn no_secret_value_is_printed_unless_show_secret_is_given() {
    let sandbox = Sandbox::new();
    sandbox.create("app/key", &hmac_secret(2));
    sandbox.create(
        "app/wrong",
        r#"{"username":"app","password":"hunter2-wrong-rotator"}"#,
    );
    let mut printed = String::new();
    for args in [
        &["rotate", "app/key", "--rotator", "hmac-key"][..],
        &["status", "app/key"],
        &["secret", "list"],
        &["rotate", "app/wrong", "--rotator", "hmac-key"],
        &["status", "app/wrong"],
        &["rotate", "app/wrong", "--rotator", "hmac-key", "--resume"],
        &["cancel", "app/wrong"],
    ] {
        printed.push_str(&sandbox.rotor(args).all());
    }
    let values = sandbox.stored_values().await;
    assert!(
        values.len() >= 4,
        "old and new values of both secrets: {}",
        values.len()
    );
    let mut needles = values.clone();
    for value in &values {
        let json: serde_json::Value = serde_json::from_str(value).unwrap();
        for field in ["signing_key", "password"] {
            if let Some(text) = json.get(field).and_then(|v| v.as_str()) {
                needles.push(text.to_owned());
            }
        }
    }
    for needle in &needles {
        assert!(
            !printed.contains(needle.as_str()),
            "a secret value was printed:\n{printed}"
        );
    }

    let shown = sandbox.rotor(&["status", "app/key", "--show-secret"]);
    shown.expect(0);
    let model = sandbox.model();
    for version in model.list_secret_version_ids("app/key").await.unwrap() {
        let value = model
            .get_secret_value("app/key", VersionSelector::version(&version.version_id))
            .await
            .unwrap();
        assert!(
            shown.stdout.contains(value.value.expose()),
            "--show-secret shows every value"
        );
    }
}

#[tokio::test]
async fn concurrent_rotors_take_turns_on_the_store_lock() {
    let sandbox = Sandbox::new();
    sandbox.create("app/key", &hmac_secret(5));
    let children: Vec<_> = (0..3)
        .map(|_| {
            let mut command = sandbox.command(&["rotate", "app/key", "--rotator", "hmac-key"]);
            command
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null());
            command.spawn().unwrap()
        })
        .collect();
    for mut child in children {
        assert!(
            child.wait().unwrap().success(),
            "each run sees the previous one's completed state"
        );
    }
    let versions = sandbox.model().list_secret_version_ids("app/key").await.unwrap();
    assert_eq!(versions.len(), 4, "three rotations, none lost");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(sandbox.store_path()).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn secret_values_are_read_from_a_file_or_stdin_never_the_command_line() {
    let sandbox = Sandbox::new();
    sandbox.rotor(&["secret", "create", "app/key"]).expect(2);
    sandbox
        .rotor(&["secret", "create", "app/key", "--value", "hunter2"])
        .expect(2);
    let created = sandbox.run(
        sandbox.command(&[
            "secret",
            "create",
            "app/key",
            "--value-stdin",
            "--tag",
            "team=payments",
        ]),
        Some(&format!("{}\n", hmac_secret(6))),
    );
    created.expect(0);
    assert!(
        created.stdout.contains("created app/key in .rotor/store.json"),
        "{}",
        created.stdout
    );
    assert!(!created.all().contains("signing_key"));
}

#[test]
fn configured_credentials_select_aws_and_local_only_commands_say_so() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("v.json", &hmac_secret(7));
    let mut command = sandbox.command(&["secret", "create", "app/key", "--value-file", &file]);
    command
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "example")
        .env("AWS_REGION", "eu-west-1");
    let run = sandbox.run(command, None);
    run.expect(1);
    assert!(
        run.stderr.contains("works on the local store only"),
        "{}",
        run.stderr
    );
    let mut forced = sandbox.command(&[
        "--store",
        "local",
        "secret",
        "create",
        "app/key",
        "--value-file",
        &file,
    ]);
    forced
        .env("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "example");
    sandbox.run(forced, None).expect(0);
}

#[test]
fn the_postgres_demo_proves_both_strategies_by_logging_in() {
    let sandbox = Sandbox::new();
    let run = sandbox.rotor(&["demo"]);
    run.expect(0);
    for claim in [
        "the new password (AWSCURRENT) logs in as demo_app",
        "the old password (AWSPREVIOUS) no longer logs in",
        "AWSPREVIOUS (demo_multi) still logs in",
        "demo_multi's first password no longer logs in",
    ] {
        assert!(
            run.stdout.contains(&format!("ok   {claim}")),
            "{claim}:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("FAIL"));
    assert_eq!(
        run.stdout.matches("AWSCURRENT is version").count(),
        3,
        "three rotations"
    );
}

#[test]
fn the_hmac_key_demo_proves_a_rotation_with_no_database() {
    let sandbox = Sandbox::new();
    let run = sandbox.rotor(&["demo", "hmac-key"]);
    run.expect(0);
    for claim in [
        "AWSCURRENT moved to the rotation's version",
        "the new key differs",
        "a signature made with the old key does not verify under AWSCURRENT",
        "AWSPREVIOUS holds the old key",
    ] {
        assert!(
            run.stdout.contains(&format!("ok   {claim}")),
            "{claim}:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("FAIL"));
    assert!(
        !sandbox.store_path().exists(),
        "the demo keeps its store to itself"
    );
}
