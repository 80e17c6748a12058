//! Fleet rotation against moto: every matching secret rotated exactly once, the summary right,
//! and a throughput benchmark.

use aws_sdk_secretsmanager::Client;
use rotor_testkit::MotoServer;
use std::collections::BTreeMap;
use tokio::task::JoinSet;

use super::support::{Run, Sandbox, aws_command, hmac_secret};

/// Creates `count` secrets named `<prefix>NNN`, 8 requests at a time; returns name → version.
pub async fn create_fleet(
    client: &Client,
    prefix: &str,
    count: usize,
    tag: Option<(&str, &str)>,
) -> BTreeMap<String, String> {
    let mut created = BTreeMap::new();
    let mut pending = JoinSet::new();
    for index in 0..count {
        if pending.len() >= 8 {
            let (name, version) = pending.join_next().await.unwrap().unwrap();
            created.insert(name, version);
        }
        let client = client.clone();
        let name = format!("{prefix}{index:03}");
        let tag = tag.map(|(key, value)| {
            aws_sdk_secretsmanager::types::Tag::builder()
                .key(key)
                .value(value)
                .build()
        });
        pending.spawn(async move {
            let seed = u8::try_from(index % 251).unwrap();
            let output = client
                .create_secret()
                .name(&name)
                .secret_string(hmac_secret(seed))
                .set_tags(tag.map(|tag| vec![tag]))
                .send()
                .await
                .unwrap();
            (name, output.version_id().unwrap().to_owned())
        });
    }
    while let Some(joined) = pending.join_next().await {
        let (name, version) = joined.unwrap();
        created.insert(name, version);
    }
    created
}

/// Checks that a secret was rotated exactly once from `original`.
async fn assert_rotated_once(client: &Client, name: &str, original: &str) {
    let versions = client
        .list_secret_version_ids()
        .secret_id(name)
        .include_deprecated(true)
        .send()
        .await
        .unwrap();
    let versions = versions.versions();
    assert_eq!(versions.len(), 2, "{name}: one new version: {versions:?}");
    let holder = |label: &str| {
        versions
            .iter()
            .find(|version| version.version_stages().iter().any(|stage| stage == label))
            .and_then(|version| version.version_id())
            .map(str::to_owned)
    };
    let current = holder("AWSCURRENT").unwrap();
    assert_ne!(current, original, "{name}");
    assert_eq!(holder("AWSPREVIOUS").as_deref(), Some(original), "{name}");
    let value = |stage: &'static str| {
        let client = client.clone();
        let name = name.to_owned();
        async move {
            let read = client
                .get_secret_value()
                .secret_id(name)
                .version_stage(stage)
                .send()
                .await
                .unwrap();
            let json: serde_json::Value = serde_json::from_str(read.secret_string().unwrap()).unwrap();
            json["signing_key"].as_str().unwrap().to_owned()
        }
    };
    assert_ne!(
        value("AWSCURRENT").await,
        value("AWSPREVIOUS").await,
        "{name}: a new key"
    );
}

pub fn fleet(sandbox: &Sandbox, moto: &MotoServer, filter: &str, concurrency: usize) -> Run {
    let concurrency = concurrency.to_string();
    let args = [
        "rotate",
        "--all",
        "--filter",
        filter,
        "--rotator",
        "hmac-key",
        "--concurrency",
        &concurrency,
        "--rate",
        "10000",
    ];
    sandbox.run(aws_command(sandbox, &moto.endpoint(), &args), None)
}

#[tokio::test]
async fn fleet_rotation_of_200_secrets_rotates_each_exactly_once() {
    let moto = MotoServer::start().await.unwrap();
    let client = moto.secrets_manager().await.client().clone();
    let fleet_secrets = create_fleet(&client, "fleet/app-", 200, None).await;
    let decoys = create_fleet(&client, "other/app-", 3, None).await;
    let sandbox = Sandbox::new();

    let run = fleet(&sandbox, &moto, "fleet/", 16);
    run.expect(0);
    assert!(
        run.stdout
            .starts_with("rotating 200 secrets (names starting with \"fleet/\")"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("summary: 200 secrets, 200 rotated, 0 failed, 0 throttled call(s) retried"),
        "{}",
        run.stdout
    );
    let rows = run
        .stdout
        .lines()
        .filter(|line| line.contains(" rotated ") && line.contains("fleet/app-"))
        .count();
    assert_eq!(rows, 200, "one row per secret");
    for (name, original) in &fleet_secrets {
        assert_rotated_once(&client, name, original).await;
    }
    for name in decoys.keys() {
        let versions = client
            .list_secret_version_ids()
            .secret_id(name)
            .send()
            .await
            .unwrap();
        assert_eq!(versions.versions().len(), 1, "{name} does not match the filter");
    }
}

#[tokio::test]
async fn a_tag_filter_rotates_only_the_tagged_secrets_and_failures_do_not_stop_the_fleet() {
    let moto = MotoServer::start().await.unwrap();
    let client = moto.secrets_manager().await.client().clone();
    let tagged = create_fleet(&client, "tagged-", 5, Some(("team", "payments"))).await;
    create_fleet(&client, "untagged-", 3, Some(("team", "search"))).await;
    client
        .create_secret()
        .name("tagged-broken")
        .secret_string("not json")
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("team")
                .value("payments")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let sandbox = Sandbox::new();

    let run = fleet(&sandbox, &moto, "team=payments", 4);
    run.expect(1);
    assert!(
        run.stdout.contains("summary: 6 secrets, 5 rotated, 1 failed"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("tagged-broken") && run.stdout.contains("FAILED"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("1 rotation(s) failed with MalformedSecret, e.g. tagged-broken"),
        "{}",
        run.stderr
    );
    for (name, original) in &tagged {
        assert_rotated_once(&client, name, original).await;
    }
}
