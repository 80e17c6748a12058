//! An RDS-managed master secret as `masterarn`, end to end: Secrets Manager and RDS are moto, the
//! database is a real PostgreSQL reached under the endpoint name the RDS API reports, with TLS
//! verified against that name.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use rotor_core::database::HostOverrides;
use rotor_core::rds::RdsApi;
use rotor_core::{Classify, Deadline, RotationEvent, RotationFunction, RotationSettings, Step};
use rotor_postgres::AlternatingUsers;
use rotor_testkit::{MotoServer, PostgresOptions};
use serde_json::json;

use super::support::Db;

const INITIAL: &str = "initial-Password-1";
const MASTER: &str = "master-Password-1";
/// The endpoint moto reports for a DB instance named `shop` in us-east-1.
const ENDPOINT: &str = "shop.aaaaaaaaaa.us-east-1.rds.amazonaws.com";

#[tokio::test]
async fn an_rds_managed_master_rotates_a_child_at_the_endpoint_rds_names_over_verified_tls() {
    let db = Db::start_with(PostgresOptions::new().tls_name(ENDPOINT)).await;
    db.create_rds_master("postgres_admin", MASTER).await;
    db.create_user("app", INITIAL, "").await;
    let moto = MotoServer::start().await.unwrap();
    let rds = moto.rds().await;
    let master = moto
        .create_rds_managed_master("shop", "postgres_admin", MASTER, db.server.port())
        .await
        .unwrap();
    assert_eq!(master.endpoint, ENDPOINT);
    let master_arn = master.secret_arn;
    let secrets = moto.secrets_manager().await;
    // As the console creates it: no `ssl` key, the RDS endpoint, an unknown key kept verbatim.
    let child = json!({
        "engine": "postgres", "host": ENDPOINT, "port": db.server.port(), "username": "app",
        "password": INITIAL, "dbname": "postgres", "dbInstanceIdentifier": "shop", "masterarn": master_arn,
    });
    let arn = moto.create_secret("app-db", &child, &[]).await.unwrap();
    let hosts = HostOverrides::none()
        .with(ENDPOINT, IpAddr::from([127, 0, 0, 1]))
        .trusting(db.server.ca_cert_pem().unwrap());
    let rotator = AlternatingUsers::new().with_host_overrides(hosts);
    let function = RotationFunction::new(rotator, secrets.clone(), RotationSettings::new(""))
        .with_rds(Arc::new(rds) as Arc<dyn RdsApi>);

    for rotation in 1..=2 {
        let token = format!("00000000-0000-4000-8000-00000000000{rotation}");
        moto.start_rotation(&arn, &token).await.unwrap();
        for step in Step::ALL {
            let event = RotationEvent::new(&arn, &token, step);
            if let Err(error) = function
                .invoke(&event, Deadline::after(Duration::from_secs(30)))
                .await
            {
                panic!("rotation {rotation}, {step}: {} {error}", error.error_type());
            }
        }
    }

    let current = secrets
        .client()
        .get_secret_value()
        .secret_id(&arn)
        .send()
        .await
        .unwrap();
    let current: serde_json::Value = serde_json::from_str(current.secret_string().unwrap()).unwrap();
    assert_eq!(current["username"], "app", "two rotations: back to the original");
    assert_eq!(current["host"], ENDPOINT);
    assert_eq!(current["dbInstanceIdentifier"], "shop");
    assert!(db.can_login("app", current["password"].as_str().unwrap()).await);
    let previous = secrets
        .client()
        .get_secret_value()
        .secret_id(&arn)
        .version_stage("AWSPREVIOUS")
        .send()
        .await
        .unwrap();
    let previous: serde_json::Value = serde_json::from_str(previous.secret_string().unwrap()).unwrap();
    assert_eq!(previous["username"], "app_clone");
    assert!(
        db.can_login("app_clone", previous["password"].as_str().unwrap())
            .await
    );
    assert!(!db.can_login("app", INITIAL).await);
    let log = db.log();
    assert!(
        log.lines()
            .any(|line| line.contains("connection authorized: user=postgres_admin")
                && line.contains("SSL enabled")),
        "the master logged in over TLS"
    );
}

#[tokio::test]
async fn without_the_test_ca_the_rds_endpoint_is_refused_not_downgraded() {
    let db = Db::start_with(PostgresOptions::new().tls_name(ENDPOINT)).await;
    db.create_user("app", INITIAL, "").await;
    let moto = MotoServer::start().await.unwrap();
    let secrets = moto.secrets_manager().await;
    let child = json!({"engine": "postgres", "host": ENDPOINT, "port": db.server.port(), "username": "app", "password": INITIAL});
    let arn = moto.create_secret("app-db", &child, &[]).await.unwrap();
    let hosts = HostOverrides::none().with(ENDPOINT, IpAddr::from([127, 0, 0, 1]));
    let rotator = rotor_postgres::SingleUser::new().with_host_overrides(hosts);
    let function = RotationFunction::new(rotator, secrets, RotationSettings::new(""));
    let token = "00000000-0000-4000-8000-000000000001";
    moto.start_rotation(&arn, token).await.unwrap();
    function
        .invoke(
            &RotationEvent::new(&arn, token, Step::CreateSecret),
            Deadline::after(Duration::from_secs(30)),
        )
        .await
        .unwrap();

    let error = function
        .invoke(
            &RotationEvent::new(&arn, token, Step::SetSecret),
            Deadline::after(Duration::from_secs(30)),
        )
        .await
        .unwrap_err();

    assert_eq!(error.error_type(), "PostgresTlsHandshake", "{error}");
    assert!(db.can_login("app", INITIAL).await);
}
