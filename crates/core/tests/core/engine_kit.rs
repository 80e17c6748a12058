//! The engine kit with a minimal engine: a toy server that keeps users and passwords in memory
//! and refuses a wrong password as PostgreSQL does (SQLSTATE 28P01). Everything a rotation does
//! besides the toy's one statement is the kit's: which credential logs in, the master's checks,
//! the deadline, the fault points and the three behaviours decided once for every engine.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use rotor_core::database::{
    AlternatePassword, AlternatingUsers, DatabaseError, DatabaseSecret, Engine, EngineFamily, EngineKit,
    ErrorTypes, Login, OwnPassword, ServerCode, SingleUser, StatementGuard, UserPair, UsernameLimit,
};
use rotor_core::fault::{FaultPoints, InjectedFault};
use rotor_core::secrets_manager::VersionSelector;
use rotor_core::{
    Classify, ErrorClass, InMemorySecretsManager, RotationSettings, Rotator, RotatorError, SecretJson,
    SecretValue, StagingLabel, Step, StepContext, StepOutcome, database_error_types,
};
use rotor_testkit::harness::Harness;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// A toy server: users and their passwords, and what a statement answers when a test says so.
#[derive(Debug, Default)]
struct ToyServer {
    users: Mutex<HashMap<String, String>>,
    /// When set, every password change answers with this SQLSTATE.
    refuse_changes_with: Mutex<Option<&'static str>>,
    logins: Mutex<Vec<String>>,
}

/// Toy servers by host name, so the engine (which has no state of its own) can find them.
static SERVERS: LazyLock<Mutex<HashMap<String, Arc<ToyServer>>>> = LazyLock::new(Mutex::default);

fn server(host: &str, users: &[(&str, &str)]) -> Arc<ToyServer> {
    let server = Arc::new(ToyServer::default());
    server.users.lock().unwrap().extend(
        users
            .iter()
            .map(|(user, password)| ((*user).to_owned(), (*password).to_owned())),
    );
    SERVERS.lock().unwrap().insert(host.to_owned(), server.clone());
    server
}

impl ToyServer {
    fn password_of(&self, user: &str) -> Option<String> {
        self.users.lock().unwrap().get(user).cloned()
    }
}

#[derive(Debug)]
struct Toy;

/// A toy session: the server and the user that logged in.
struct ToySession {
    server: Arc<ToyServer>,
    user: String,
    guard: StatementGuard<Toy>,
}

/// The toy's statement answered with an error.
#[derive(Debug)]
struct Refused(&'static str);

impl ToySession {
    /// `ALTER USER user PASSWORD …`, creating the user if `create` allows.
    async fn set_password(&self, user: &str, password: &str, create: bool) -> Result<(), DatabaseError<Toy>> {
        let change = async {
            if let Some(sqlstate) = *self.server.refuse_changes_with.lock().unwrap() {
                return Err(Refused(sqlstate));
            }
            let mut users = self.server.users.lock().unwrap();
            if !create && !users.contains_key(user) {
                return Err(Refused("42704"));
            }
            users.insert(user.to_owned(), password.to_owned());
            Ok(())
        };
        self.guard
            .run("ALTER USER PASSWORD", change, |Refused(sqlstate)| {
                DatabaseError::Statement {
                    operation: "ALTER USER PASSWORD",
                    code: ServerCode::sqlstate(sqlstate),
                    message: None,
                }
            })
            .await
    }
}

impl Engine for Toy {
    const NAME: &'static str = "Toy";
    const FAMILY: EngineFamily = EngineFamily {
        engines: &["toy"],
        default_port: 7000,
        default_dbname: None,
        max_username: UsernameLimit::characters(64),
        username_rule: "must be a user name of at most 64 characters",
    };
    const ERROR_TYPES: ErrorTypes = database_error_types!("Toy");
    const LOG_TARGETS: &'static [&'static str] = &["toy_driver"];
    type Error = InjectedFault;
    type Session = ToySession;

    fn classify(code: &ServerCode) -> ErrorClass {
        if code.sqlstate.starts_with("28") {
            ErrorClass::AuthFailure
        } else {
            ErrorClass::Permanent
        }
    }

    fn username_limit(_: &DatabaseSecret) -> UsernameLimit {
        UsernameLimit::characters(16)
    }

    async fn connect(
        login: &Login<'_>,
        guard: StatementGuard<Self>,
    ) -> Result<ToySession, DatabaseError<Self>> {
        let server = SERVERS.lock().unwrap().get(login.host()).cloned();
        let user = login.username().to_owned();
        let password = login.password().expose_secret().to_owned();
        let attempt = async {
            let server = server.ok_or("unknown host")?;
            server
                .logins
                .lock()
                .unwrap()
                .push(format!("{} as {user}", login.label));
            if server.password_of(&user).as_deref() == Some(password.as_str()) {
                Ok(server)
            } else {
                Err("28P01")
            }
        };
        let server = guard
            .connect(login.label, attempt, |code| match code {
                "unknown host" => DatabaseError::Unreachable {
                    login: login.label.to_owned(),
                    reason: code.to_owned(),
                },
                sqlstate => DatabaseError::login_refused(login.label, ServerCode::sqlstate(sqlstate), None),
            })
            .await?;
        Ok(ToySession { server, user, guard })
    }

    async fn verify_identity(session: &mut ToySession, login: &Login<'_>) -> Result<(), DatabaseError<Self>> {
        if session.user == login.username() {
            Ok(())
        } else {
            Err(DatabaseError::WrongUser {
                login: login.label.to_owned(),
                expected: login.username().to_owned(),
                actual: session.user.clone(),
            })
        }
    }

    async fn close(_: ToySession) {}
}

/// Single user on the toy: the kit's strategy with the toy's one statement.
#[derive(Debug, Default)]
struct ToyOwnPassword;

impl OwnPassword for ToyOwnPassword {
    type Engine = Toy;
    const FUNCTION: &'static str = "toy-single-user";
    const EXCLUDE_CHARACTERS: &'static str = "";

    async fn change_own_password(
        &self,
        _: &StepContext<'_>,
        _: &EngineKit<Toy>,
        session: &mut ToySession,
        pending: &DatabaseSecret,
        _: &SecretString,
    ) -> Result<(), RotatorError> {
        let password = pending.password.expose_secret().to_owned();
        Ok(session.set_password(&pending.username, &password, false).await?)
    }
}

type ToySingleUser = SingleUser<ToyOwnPassword>;

/// Alternating users on the toy: the master creates or updates the pending user.
#[derive(Debug, Default)]
struct ToyAlternatePassword;

impl AlternatePassword for ToyAlternatePassword {
    type Engine = Toy;
    type Current = ();
    const FUNCTION: &'static str = "toy-multi-user";
    const EXCLUDE_CHARACTERS: &'static str = "";

    fn inspect_current(_: &ToySession) {}

    async fn set_alternate_password(
        &self,
        _: &StepContext<'_>,
        _: &EngineKit<Toy>,
        master: &mut ToySession,
        pending: &DatabaseSecret,
        _: &UserPair,
        (): &(),
    ) -> Result<(), RotatorError> {
        let password = pending.password.expose_secret().to_owned();
        Ok(master.set_password(&pending.username, &password, true).await?)
    }
}

type ToyAlternatingUsers = AlternatingUsers<ToyAlternatePassword>;

fn secret(host: &str, user: &str, password: &str) -> serde_json::Value {
    json!({"engine": "toy", "host": host, "username": user, "password": password, "ssl": false})
}

fn settings() -> RotationSettings {
    RotationSettings::new("")
}

async fn current(harness: &Harness<impl Rotator>) -> SecretJson {
    harness
        .value(VersionSelector::stage(StagingLabel::Current))
        .await
        .unwrap()
}

fn password(json: &SecretJson) -> String {
    json.required_str("password").unwrap().to_owned()
}

/// The master secret `admin` on `host`, stored in a fresh model.
fn model_with_master(host: &str, master_password: &str) -> (InMemorySecretsManager, String) {
    let model = InMemorySecretsManager::new();
    let arn = model
        .create_secret(
            "toy-master",
            &SecretValue::new(secret(host, "admin", master_password).to_string()),
        )
        .unwrap();
    (model, arn)
}

#[tokio::test]
async fn a_single_user_engine_rotates_with_only_its_own_statement() {
    let toy = server("single.toy", &[("app", "initial")]);
    let harness = Harness::new(
        InMemorySecretsManager::new(),
        &secret("single.toy", "app", "initial").to_string(),
        settings(),
        |faults: FaultPoints| ToySingleUser::new().with_fault_points(faults),
    );

    harness.rotate().await.unwrap();

    let rotated = password(&current(&harness).await);
    assert_ne!(rotated, "initial");
    assert_eq!(toy.password_of("app"), Some(rotated));
    assert_eq!(
        harness.faults.log(),
        ["connect:current", "ALTER USER PASSWORD", "connect:pending"],
        "every connection and statement went through the kit's guard"
    );
}

#[tokio::test]
async fn an_auth_class_code_after_login_is_permanent_and_tries_no_older_password() {
    let toy = server("denied.toy", &[("app", "initial")]);
    *toy.refuse_changes_with.lock().unwrap() = Some("28000");
    let harness = Harness::new(
        InMemorySecretsManager::new(),
        &secret("denied.toy", "app", "initial").to_string(),
        settings(),
        |_| ToySingleUser::new(),
    );
    let token = harness.start_rotation();
    harness.step(&token, Step::CreateSecret).await.unwrap();

    let error = harness.step(&token, Step::SetSecret).await.unwrap_err();

    assert_eq!(error.error_type(), "ToyStatementFailed");
    assert_eq!(error.class(), ErrorClass::Permanent);
    assert_eq!(
        *toy.logins.lock().unwrap(),
        ["current as app"],
        "no other stored credential was tried after the session had logged in"
    );
}

#[tokio::test]
async fn alternating_users_create_the_clone_and_alternate_through_the_master() {
    let toy = server("pair.toy", &[("admin", "master-pw"), ("app", "initial")]);
    let (model, master_arn) = model_with_master("pair.toy", "master-pw");
    let mut child = secret("pair.toy", "app", "initial");
    child["masterarn"] = json!(master_arn);
    let harness = Harness::new(model, &child.to_string(), settings(), |_| {
        ToyAlternatingUsers::default()
    });

    harness.rotate().await.unwrap();
    let first = current(&harness).await;
    assert_eq!(first.required_str("username").unwrap(), "app_clone");
    assert_eq!(toy.password_of("app_clone"), Some(password(&first)));
    assert_eq!(
        toy.password_of("app"),
        Some("initial".to_owned()),
        "the original is untouched"
    );

    harness.rotate().await.unwrap();
    let second = current(&harness).await;
    assert_eq!(second.required_str("username").unwrap(), "app");
    assert_eq!(toy.password_of("app"), Some(password(&second)));
}

#[tokio::test]
async fn the_configuration_test_of_alternating_users_logs_in_as_the_master() {
    server("config.toy", &[("admin", "master-pw"), ("app", "initial")]);
    let (model, master_arn) = model_with_master("config.toy", "a-wrong-master-password");
    let mut child = secret("config.toy", "app", "initial");
    child["masterarn"] = json!(master_arn);
    let harness = Harness::new(model, &child.to_string(), settings(), |_| {
        ToyAlternatingUsers::default()
    });
    let token = harness.start_rotation();

    let error = harness.step(&token, Step::TestSecret).await.unwrap_err();

    assert_eq!(error.error_type(), "MasterRefused", "{error}");

    let toy = server("config-ok.toy", &[("admin", "master-pw"), ("app", "initial")]);
    let (model, master_arn) = model_with_master("config-ok.toy", "master-pw");
    let mut child = secret("config-ok.toy", "app", "initial");
    child["masterarn"] = json!(master_arn);
    let harness = Harness::new(model, &child.to_string(), settings(), |_| {
        ToyAlternatingUsers::default()
    });
    let token = harness.start_rotation();
    let outcome = harness.step(&token, Step::TestSecret).await.unwrap();
    assert_eq!(outcome, StepOutcome::ConfigurationTested);
    assert_eq!(*toy.logins.lock().unwrap(), ["current as app", "master as admin"]);
}

#[tokio::test]
async fn alternating_users_refuse_a_secret_without_masterarn_before_storing_anything() {
    server("nomaster.toy", &[("app", "initial")]);
    let harness = Harness::new(
        InMemorySecretsManager::new(),
        &secret("nomaster.toy", "app", "initial").to_string(),
        settings(),
        |_| ToyAlternatingUsers::new(),
    );
    let token = harness.start_rotation();

    let error = harness.step(&token, Step::CreateSecret).await.unwrap_err();

    assert_eq!(error.error_type(), "MalformedSecret", "{error}");
    assert!(error.to_string().contains("masterarn"), "{error}");
    assert!(
        harness
            .value(VersionSelector::stage(StagingLabel::Pending))
            .await
            .is_none(),
        "no pending value was stored"
    );
}

#[tokio::test]
async fn a_clone_name_over_the_engines_or_the_configured_limit_is_refused_before_storing() {
    server("long.toy", &[("admin", "master-pw"), ("application", "initial")]);
    for (setting, limit) in [(None, "16 characters"), (Some(10), "10 characters")] {
        let (model, master_arn) = model_with_master("long.toy", "master-pw");
        let user = if setting.is_some() {
            "app_users"
        } else {
            "application"
        };
        let mut child = secret("long.toy", user, "initial");
        child["masterarn"] = json!(master_arn);
        let harness = Harness::new(model, &child.to_string(), settings(), |_| {
            ToyAlternatingUsers::new().username_limit(setting)
        });
        let token = harness.start_rotation();

        let error = harness.step(&token, Step::CreateSecret).await.unwrap_err();

        assert_eq!(error.error_type(), "ToyUsernameTooLong");
        assert!(error.to_string().ends_with(limit), "{error}");
        assert!(
            harness
                .value(VersionSelector::stage(StagingLabel::Pending))
                .await
                .is_none()
        );
    }
}
