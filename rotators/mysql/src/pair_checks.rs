//! What the master checks about the accounts of a pair before it changes any: that it is not one of them, and
//! that each user has exactly one host row.

use rotor_core::database::UserPair;

use crate::account::Account;
use crate::account_options::StoredAccount;
use crate::error::{MySqlError, MySqlFailure};

/// Defence in depth behind rotor-core's check of the master secret's user name: the account the master
/// session actually authenticated as (`CURRENT_USER()`) must not be a user of the pair.
pub(crate) fn master_outside_pair(master: &Account, pair: &UserPair) -> Result<(), MySqlError> {
    if master.user == pair.original || master.user == pair.clone {
        return Err(MySqlFailure::MasterInPair {
            account: master.to_string(),
        }
        .into());
    }
    Ok(())
}

/// Each user of the pair may have a row at AWSCURRENT's `host` only: a clone or a password at one host row
/// would leave the clients matching another row with a credential that does not work there.
pub(crate) fn single_host(stored: &[StoredAccount], host: &str) -> Result<(), MySqlError> {
    match stored
        .iter()
        .find(|row| !row.account.host.eq_ignore_ascii_case(host))
    {
        Some(other) => Err(MySqlFailure::OtherHostRow {
            account: other.account.to_string(),
            host: host.to_owned(),
        }
        .into()),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account_options::{ResourceLimits, TlsRequirement};
    use crate::password_hash::AuthPlugin;
    use rotor_core::Classify;
    use secrecy::SecretString;

    fn pair() -> UserPair {
        UserPair {
            original: "app".into(),
            clone: "app_clone".into(),
        }
    }

    fn row(user: &str, host: &str) -> StoredAccount {
        StoredAccount {
            account: Account::new(user, host),
            plugin: AuthPlugin::Native,
            authentication: SecretString::from("*00"),
            tls: TlsRequirement::None,
            limits: ResourceLimits::default(),
        }
    }

    #[test]
    fn a_master_session_that_is_a_user_of_the_pair_is_refused() {
        for user in ["app", "app_clone"] {
            let error = master_outside_pair(&Account::new(user, "%"), &pair()).unwrap_err();
            assert_eq!(error.error_type(), "MySqlMasterInPair", "{user}");
            assert_eq!(error.class(), rotor_core::ErrorClass::Permanent);
        }
        assert!(master_outside_pair(&Account::new("admin", "%"), &pair()).is_ok());
    }

    #[test]
    fn a_user_of_the_pair_with_a_row_at_another_host_is_refused() {
        assert!(single_host(&[row("app", "10.1.%"), row("app_clone", "10.1.%")], "10.1.%").is_ok());
        assert!(
            single_host(&[row("app", "LocalHost")], "localhost").is_ok(),
            "host names are case-insensitive"
        );
        for rows in [
            vec![row("app", "10.1.%"), row("app", "%")],
            vec![row("app", "10.1.%"), row("app_clone", "%")],
        ] {
            let error = single_host(&rows, "10.1.%").unwrap_err();
            assert_eq!(error.error_type(), "MySqlOtherHostRow");
            assert!(error.to_string().contains("'@'%'"), "{error}");
        }
    }
}
