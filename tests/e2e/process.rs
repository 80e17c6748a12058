//! The bootstrap as a process: how it ends. An invalid configuration does not end it: see
//! `e2e::configuration`.

use std::time::Duration;

use rotor_testkit::MotoServer;

use super::bootstrap::Launch;
use super::lambdas::HMAC_KEY;
use super::rotation::Function;

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
