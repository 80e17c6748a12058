//! rotor-testkit's conformance suite against a real server: full rotation, preamble, repeated and
//! concurrent steps, crashes at every Secrets Manager call and database operation, and leaks.
//!
//! Each scenario gets a fresh role on one shared server. Alternating users are covered by
//! `crash.rs` instead: the suite builds its own Secrets Manager model, which cannot hold the
//! master secret a child secret points at.

use std::sync::atomic::{AtomicUsize, Ordering};

use rotor_core::SecretJson;
use rotor_core::fault::FaultPoints;
use rotor_postgres::SingleUser;
use rotor_testkit::conformance::{self, Fixture};

use super::support::{Db, field};

const INITIAL: &str = "initial-Password-1";

struct SingleUserFixture<'a> {
    db: &'a Db,
    user: String,
    faults: FaultPoints,
}

impl Fixture for SingleUserFixture<'_> {
    type Rotator = SingleUser;

    fn initial_value(&self) -> String {
        self.db.secret(&self.user, INITIAL).to_string()
    }

    fn rotator(&self) -> SingleUser {
        SingleUser::new().with_fault_points(self.faults.clone())
    }

    async fn current_works(&self, secret: &SecretJson) -> bool {
        self.db
            .can_login(&field(secret, "username"), &field(secret, "password"))
            .await
    }

    fn fault_points(&self) -> Option<FaultPoints> {
        Some(self.faults.clone())
    }
}

#[tokio::test]
async fn single_user_conforms_to_the_rotation_protocol() {
    let db = Db::start().await;
    let next = AtomicUsize::new(0);
    let factory = async || {
        let user = format!("app{}", next.fetch_add(1, Ordering::Relaxed));
        db.create_user(&user, INITIAL, "").await;
        SingleUserFixture {
            db: &db,
            user,
            faults: FaultPoints::recording(),
        }
    };

    let report = conformance::run(factory).await;

    assert_eq!(report.lockouts, 0);
    assert!(report.crashes_injected >= 30, "{report:?}");
}
