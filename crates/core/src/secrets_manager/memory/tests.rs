use super::*;

fn value(text: &str) -> SecretValue {
    SecretValue::new(text)
}

fn block<T>(future: impl Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(future)
}

fn stages(model: &InMemorySecretsManager, arn: &str) -> BTreeMap<String, Vec<String>> {
    block(model.describe_secret(arn)).unwrap().versions
}

fn put(
    model: &InMemorySecretsManager,
    arn: &str,
    token: &str,
    text: &str,
    labels: &[StagingLabel],
) -> Result<(), SecretsManagerError> {
    let value = value(text);
    block(model.put_secret_value(PutSecretValue {
        secret_id: arn,
        client_request_token: token,
        value: &value,
        stages: labels,
        rotation_token: None,
    }))
}

fn current_version(model: &InMemorySecretsManager, arn: &str) -> String {
    block(model.get_secret_value(arn, VersionSelector::stage(StagingLabel::Current)))
        .unwrap()
        .version_id
}

#[test]
fn put_moves_pending_off_every_other_version() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    put(&model, &arn, "t1", "v2", &[StagingLabel::Pending]).unwrap();
    put(&model, &arn, "t2", "v3", &[StagingLabel::Pending]).unwrap();
    let versions = stages(&model, &arn);
    assert_eq!(versions.get("t2"), Some(&vec!["AWSPENDING".to_owned()]));
    assert!(
        !versions.contains_key("t1"),
        "an unlabelled version is deprecated and not listed: {versions:?}"
    );
}

#[test]
fn same_token_same_value_is_idempotent_but_a_different_value_is_refused() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    put(&model, &arn, "t1", "v2", &[StagingLabel::Pending]).unwrap();
    put(&model, &arn, "t1", "v2", &[StagingLabel::Pending]).unwrap();
    let error = put(&model, &arn, "t1", "other", &[StagingLabel::Pending]).unwrap_err();
    assert!(
        matches!(error, SecretsManagerError::ResourceExists(_)),
        "{error:?}"
    );
    let pending = block(model.get_secret_value(&arn, VersionSelector::pending("t1"))).unwrap();
    assert_eq!(pending.value, value("v2"));
}

#[test]
fn a_rotation_placeholder_takes_its_first_value_once() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    let token = model.start_rotation(&arn).unwrap();
    let error = block(model.get_secret_value(&arn, VersionSelector::pending(&token))).unwrap_err();
    assert!(error.is_not_found(), "a placeholder has no value: {error:?}");
    put(&model, &arn, &token, "v2", &[StagingLabel::Pending]).unwrap();
    assert!(put(&model, &arn, &token, "v3", &[StagingLabel::Pending]).is_err());
}

#[test]
fn moving_current_moves_previous_automatically() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    let first = current_version(&model, &arn);
    put(&model, &arn, "t1", "v2", &[StagingLabel::Pending]).unwrap();
    block(model.update_secret_version_stage(UpdateVersionStage {
        secret_id: &arn,
        stage: StagingLabel::Current,
        move_to: Some("t1"),
        remove_from: Some(&first),
    }))
    .unwrap();
    let versions = stages(&model, &arn);
    assert_eq!(versions[&first], vec!["AWSPREVIOUS".to_owned()]);
    assert_eq!(
        versions["t1"],
        vec!["AWSPENDING".to_owned(), "AWSCURRENT".to_owned()]
    );

    put(&model, &arn, "t2", "v3", &[StagingLabel::Pending]).unwrap();
    block(model.update_secret_version_stage(UpdateVersionStage {
        secret_id: &arn,
        stage: StagingLabel::Current,
        move_to: Some("t2"),
        remove_from: Some("t1"),
    }))
    .unwrap();
    let versions = stages(&model, &arn);
    assert_eq!(versions["t1"], vec!["AWSPREVIOUS".to_owned()]);
    assert!(!versions.contains_key(&first));
}

#[test]
fn stage_updates_are_validated_before_anything_changes() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    let first = current_version(&model, &arn);
    put(&model, &arn, "t1", "v2", &[StagingLabel::Pending]).unwrap();
    let before = stages(&model, &arn);
    for (move_to, remove_from) in [
        (Some("missing"), Some(first.as_str())),
        (Some("t1"), None),
        (Some("t1"), Some("t1")),
    ] {
        let error = block(model.update_secret_version_stage(UpdateVersionStage {
            secret_id: &arn,
            stage: StagingLabel::Current,
            move_to,
            remove_from,
        }))
        .unwrap_err();
        assert!(
            matches!(error, SecretsManagerError::InvalidParameter(_)),
            "{error:?}"
        );
        assert_eq!(stages(&model, &arn), before);
    }
}

#[test]
fn reads_by_version_id_by_stage_and_by_both() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    let first = current_version(&model, &arn);
    put(&model, &arn, "t1", "v2", &[StagingLabel::Pending]).unwrap();
    assert_eq!(
        block(model.get_secret_value(&arn, VersionSelector::version(&first)))
            .unwrap()
            .value,
        value("v1")
    );
    assert_eq!(
        block(model.get_secret_value("s", VersionSelector::stage(StagingLabel::Pending)))
            .unwrap()
            .value,
        value("v2")
    );
    let error = block(model.get_secret_value(&arn, VersionSelector::pending(&first))).unwrap_err();
    assert!(
        matches!(error, SecretsManagerError::InvalidRequest(_)),
        "{error:?}"
    );
    for missing in [
        VersionSelector::version("nope"),
        VersionSelector::stage(StagingLabel::Previous),
    ] {
        assert!(
            block(model.get_secret_value(&arn, missing))
                .unwrap_err()
                .is_not_found()
        );
    }
    assert!(
        block(model.describe_secret("no-such-secret"))
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn a_new_rotation_is_refused_while_one_is_in_progress() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    let token = model.start_rotation(&arn).unwrap();
    assert!(matches!(
        model.start_rotation(&arn),
        Err(SecretsManagerError::InvalidRequest(_))
    ));
    model.start_rotation_with_token(&arn, &token).unwrap();
    model.cancel_rotation(&arn).unwrap();
    model.start_rotation(&arn).unwrap();
}

#[test]
fn cancel_rotation_takes_pending_off_the_version_in_progress_and_turns_rotation_off() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    let first = current_version(&model, &arn);
    let token = model.start_rotation(&arn).unwrap();
    put(&model, &arn, &token, "v2", &[StagingLabel::Pending]).unwrap();

    assert_eq!(model.cancel_rotation(&arn).unwrap(), Some(token.clone()));

    let description = block(model.describe_secret(&arn)).unwrap();
    assert_eq!(description.rotation_enabled, Some(false));
    assert_eq!(
        description.versions,
        BTreeMap::from([(first.clone(), vec!["AWSCURRENT".to_owned()])]),
        "only AWSCURRENT is left"
    );
    let kept = block(model.get_secret_value(&arn, VersionSelector::version(&token))).unwrap();
    assert_eq!(kept.value.expose(), "v2", "the cancelled value stays, unlabelled");
    assert!(kept.stages.is_empty());
    assert_eq!(
        model.cancel_rotation(&arn).unwrap(),
        None,
        "nothing is in progress any more"
    );

    let next = model.start_rotation(&arn).unwrap();
    assert_eq!(
        block(model.describe_secret(&arn)).unwrap().rotation_enabled,
        Some(true),
        "RotateSecret turns rotation back on"
    );
    assert_ne!(next, token);
}

#[test]
fn cancel_rotation_leaves_pending_on_the_current_version_of_a_completed_rotation() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    let first = current_version(&model, &arn);
    let token = model.start_rotation(&arn).unwrap();
    put(&model, &arn, &token, "v2", &[StagingLabel::Pending]).unwrap();
    block(model.update_secret_version_stage(UpdateVersionStage {
        secret_id: &arn,
        stage: StagingLabel::Current,
        move_to: Some(&token),
        remove_from: Some(&first),
    }))
    .unwrap();
    let completed = stages(&model, &arn);

    assert_eq!(model.cancel_rotation(&arn).unwrap(), None);

    assert_eq!(stages(&model, &arn), completed);
    assert!(
        model
            .cancel_rotation("no-such-secret")
            .unwrap_err()
            .is_not_found()
    );
}

#[test]
fn versions_are_listed_newest_first_including_deprecated_ones() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    put(&model, &arn, "t1", "v2", &[StagingLabel::Pending]).unwrap();
    put(&model, &arn, "t2", "v3", &[StagingLabel::Pending]).unwrap();
    let listed = block(model.list_secret_version_ids(&arn)).unwrap();
    let ids: Vec<&str> = listed.iter().map(|version| version.version_id.as_str()).collect();
    assert_eq!(&ids[..2], ["t2", "t1"]);
    assert_eq!(ids.len(), 3);
    assert!(listed[1].stages.is_empty());
}

#[test]
fn state_survives_a_snapshot_round_trip() {
    let model = InMemorySecretsManager::new();
    let arn = model.create_secret("s", &value("v1")).unwrap();
    let restored = InMemorySecretsManager::from_state(model.snapshot());
    assert_eq!(stages(&restored, &arn), stages(&model, &arn));
    assert!(!format!("{:?}", model.snapshot()).contains("v1"));
}
