//! The same operations on the in-memory model and on moto give the same `VersionIdsToStages`,
//! wherever moto follows the documentation. Documented differences are normalised, not hidden:
//! moto lists unlabelled versions with an empty label list (the documentation says deprecated
//! versions are not listed).

use std::collections::BTreeMap;

use rotor_core::secrets_manager::UpdateVersionStage;
use rotor_core::{InMemorySecretsManager, SecretValue, SecretsManager, StagingLabel};
use rotor_testkit::MotoServer;

use super::support::put_pending;

type Labels = BTreeMap<String, Vec<String>>;

/// Replaces the backend-chosen first version id with a fixed name, drops empty label lists, and
/// sorts labels, so two backends can be compared.
fn normalise(mut labels: Labels, initial: &str) -> Labels {
    labels.retain(|_, stages| !stages.is_empty());
    labels
        .into_iter()
        .map(|(id, mut stages)| {
            stages.sort();
            (if id == initial { "initial".to_owned() } else { id }, stages)
        })
        .collect()
}

enum Operation {
    StartRotation(&'static str),
    PutPending(&'static str, &'static str),
    MoveCurrent {
        to: &'static str,
        from: Option<&'static str>,
    },
    RemovePending(&'static str),
}

#[tokio::test]
async fn the_model_and_moto_agree_on_staging_labels() {
    use Operation::*;
    let t1 = "11111111-0000-4000-8000-000000000001";
    let t2 = "22222222-0000-4000-8000-000000000002";
    let t3 = "33333333-0000-4000-8000-000000000003";
    let script = [
        StartRotation(t1),
        PutPending(t1, "v2"),
        MoveCurrent { to: t1, from: None },
        // moto refuses RotateSecret while AWSPENDING sits on the AWSCURRENT version (the inverse
        // of the documented rule); removing it first is valid for both.
        RemovePending(t1),
        StartRotation(t2),
        PutPending(t2, "v3"),
        MoveCurrent {
            to: t2,
            from: Some(t1),
        },
        PutPending(t3, "v4"),
        RemovePending(t3),
        MoveCurrent {
            to: t3,
            from: Some(t2),
        },
    ];

    let moto = MotoServer::start().await.unwrap();
    let aws = moto.secrets_manager().await;
    let created = aws
        .client()
        .create_secret()
        .name("differential")
        .secret_string("v1")
        .send()
        .await
        .unwrap();
    let aws_arn = created.arn().unwrap().to_owned();
    let aws_initial = created.version_id().unwrap().to_owned();
    let model = InMemorySecretsManager::new();
    let model_arn = model
        .create_secret("differential", &SecretValue::new("v1"))
        .unwrap();
    let model_initial = model
        .describe_secret(&model_arn)
        .await
        .unwrap()
        .versions
        .into_keys()
        .next()
        .unwrap();

    for (index, operation) in script.iter().enumerate() {
        match operation {
            StartRotation(token) => {
                moto.start_rotation(&aws_arn, token).await.unwrap();
                model.start_rotation_with_token(&model_arn, token).unwrap();
            }
            PutPending(token, value) => {
                put_pending(&aws, &aws_arn, token, value).await.unwrap();
                put_pending(&model, &model_arn, token, value).await.unwrap();
            }
            MoveCurrent { to, from } => {
                let (aws_from, model_from) = from
                    .map_or((aws_initial.as_str(), model_initial.as_str()), |from| {
                        (from, from)
                    });
                move_stage(&aws, &aws_arn, StagingLabel::Current, Some(to), Some(aws_from)).await;
                move_stage(
                    &model,
                    &model_arn,
                    StagingLabel::Current,
                    Some(to),
                    Some(model_from),
                )
                .await;
            }
            RemovePending(token) => {
                move_stage(&aws, &aws_arn, StagingLabel::Pending, None, Some(token)).await;
                move_stage(&model, &model_arn, StagingLabel::Pending, None, Some(token)).await;
            }
        }
        let from_moto = normalise(
            aws.describe_secret(&aws_arn).await.unwrap().versions,
            &aws_initial,
        );
        let from_model = normalise(
            model.describe_secret(&model_arn).await.unwrap().versions,
            &model_initial,
        );
        assert_eq!(from_model, from_moto, "after operation {index}");
    }
}

async fn move_stage<S: SecretsManager>(
    secrets: &S,
    arn: &str,
    stage: StagingLabel,
    to: Option<&str>,
    from: Option<&str>,
) {
    secrets
        .update_secret_version_stage(UpdateVersionStage {
            secret_id: arn,
            stage,
            move_to: to,
            remove_from: from,
        })
        .await
        .unwrap();
}
