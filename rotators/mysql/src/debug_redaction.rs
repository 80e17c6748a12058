//! `Debug` of every type that holds a connection or a credential, formatted for real and searched for the
//! password and its hash.

use mysql_async::OptsBuilder;
use rotor_core::database::{DatabaseSecret, EngineKit};
use rotor_core::{Deadline, SecretJson, SecretValue};
use rotor_testkit::MariaDbServer;
use secrecy::{ExposeSecret, SecretString};

use crate::account_options::read_accounts;
use crate::connect::Statement;
use crate::engine::MySql;
use crate::grants::read_grants;
use crate::ownership::Ownership;
use crate::password_hash::native_password_hash;
use crate::{AlternatingUsers, SingleUser};

#[tokio::test]
async fn no_debug_output_of_a_session_account_grants_target_or_statement_holds_the_password_or_its_hash() {
    let server = MariaDbServer::start().await.unwrap();
    let (user, password) = server.admin();
    let password = SecretString::from(password.to_owned());
    let hash = native_password_hash(&password);
    let bare_hash = hash.expose_secret().trim_start_matches('*').to_owned();
    let json = format!(
        r#"{{"engine":"mariadb","host":"{}","port":{},"username":"{user}","password":"{}","ssl":false}}"#,
        server.host(),
        server.port(),
        password.expose_secret()
    );
    let secret = DatabaseSecret::parse(
        &SecretJson::parse(&SecretValue::new(json)).unwrap(),
        &crate::MYSQL,
    )
    .unwrap();
    let kit = EngineKit::<MySql>::new();
    let login = kit.login(&secret, "master");
    let deadline = Deadline::after(std::time::Duration::from_secs(30));
    let mut session = kit.open(&secret, "master", deadline).await.unwrap();
    let stored = read_accounts(&mut session, &[user]).await.unwrap();
    // SHOW GRANTS rows carry the hash on MariaDB; the parsed set keeps only privileges.
    let grants = read_grants(&mut session, &stored[0].account).await.unwrap();
    assert_eq!(
        stored[0].authentication.expose_secret(),
        hash.expose_secret(),
        "the row does hold the hash"
    );
    let statement = Statement::new(
        "ALTER USER",
        format!("ALTER USER x IDENTIFIED BY PASSWORD '{}'", hash.expose_secret()),
    );
    let ownership = Ownership { kit: &kit };

    let printed = [
        format!("{session:?}"),
        format!("{session:#?}"),
        format!("{stored:?}"),
        format!("{login:?}"),
        format!("{secret:?}"),
        format!("{grants:?}"),
        format!("{statement:?}"),
        format!("{ownership:?}"),
        format!("{:?}", SingleUser::new()),
        format!("{:?}", AlternatingUsers::new()),
    ];
    session.close().await;

    for (index, text) in printed.iter().enumerate() {
        // The message names the output, not its text, which would print the password.
        assert!(
            !text.contains(password.expose_secret()),
            "output {index} holds the password"
        );
        assert!(!text.contains(&bare_hash), "output {index} holds the hash");
    }
    assert!(printed[0].contains("admin"), "the session still says who it is");
    // mysql_async's own options print the password: what a derived Debug on Session would show.
    let options = OptsBuilder::default().pass(Some(password.expose_secret()));
    assert!(format!("{options:?}").contains(password.expose_secret()));
}
