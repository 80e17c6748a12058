//! The bootstrap as a process: how it starts, fails to start, and ends.

use std::time::Duration;

use rotor_testkit::MotoServer;

use super::bootstrap::{Bootstrap, Launch};
use super::lambdas::HMAC_KEY;
use super::rotation::Function;
use super::runtime_api::RuntimeApi;

#[tokio::test]
async fn a_bootstrap_exits_by_itself_when_its_runtime_api_goes_away() {
    // This is what keeps a function from outliving a test process that was killed outright: the
    // Runtime API lives in the test process, so its sockets close with it.
    let moto = MotoServer::start().await.unwrap();
    let Function { mut process, runtime } = Function::start(&Launch::new(HMAC_KEY), &moto).await;
    assert_eq!(process.exit_status(), None, "it is waiting for an event");

    drop(runtime);

    let status = process.wait_for_exit(Duration::from_secs(10)).await;
    let status = status.unwrap_or_else(|| panic!("still running\n{}", process.diagnostics()));
    assert!(!status.success(), "losing the Runtime API is an error: {status}");
}

#[tokio::test]
async fn an_invalid_setting_stops_the_function_before_it_takes_an_event() {
    let moto = MotoServer::start().await.unwrap();
    let runtime = RuntimeApi::start(HMAC_KEY).await;
    let mut launch = Launch::new(HMAC_KEY);
    launch.env.push(("PASSWORD_LENGTH".into(), "0".into()));
    let mut process = Bootstrap::spawn(&launch, &runtime.address(), &moto.endpoint()).await;

    let status = process.wait_for_exit(Duration::from_secs(10)).await;

    let status = status.unwrap_or_else(|| panic!("still running\n{}", process.diagnostics()));
    assert!(!status.success(), "{status}");
    assert!(runtime.polls().is_empty(), "it never asked for an event");
    // Lambda reports a bootstrap that exits during init as Runtime.ExitError with its output;
    // the JSON log line that CloudWatch keeps has to name the variable that is wrong.
    let logged = process.stdout();
    assert!(
        logged
            .lines()
            .any(|line| line.contains("invalid rotation function configuration")
                && line.contains("PASSWORD_LENGTH")),
        "{logged}\n{}\ninit errors: {:?}",
        process.stderr(),
        runtime.init_errors()
    );
}
