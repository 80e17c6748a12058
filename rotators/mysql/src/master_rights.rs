//! What the master must hold to run alternating users, checked before a rotation starts
//! (testSecret's configuration test and `rotor check`).
//!
//! Every rotation sends `CREATE USER` or `ALTER USER` and mirrors the original's grants with
//! `GRANT` and `REVOKE`: the master needs the global `CREATE USER` privilege and the global
//! `GRANT OPTION`. `SHOW GRANTS` for the master's own account says whether it holds them
//! directly (`ALL PRIVILEGES ON *.*` included). Privileges that come through a role are not
//! listed there, so a master with roles is not judged: the rotation's own statements decide.

use rotor_core::database::MasterRights;

use crate::connect::Session;
use crate::error::{MySqlError, MySqlFailure};
use crate::grants::{GrantSet, read_grants};

/// The global privilege that creates and alters accounts.
const CREATE_USER: &str = "CREATE USER";
/// The privilege that includes every global one.
const ALL_PRIVILEGES: &str = "ALL PRIVILEGES";
/// How the server prints the global level.
const GLOBAL: &str = "*.*";

/// Checks, changing nothing, that the master's session holds what alternating users sends.
pub(crate) async fn check_master_rights(session: &mut Session) -> Result<MasterRights, MySqlError> {
    let account = session.account().clone();
    let grants = read_grants(session, &account).await?;
    judge(&grants).map_err(|privilege| {
        MySqlFailure::MasterLacksPrivilege {
            account: account.to_string(),
            privilege,
        }
        .into()
    })
}

/// What `grants` tell: the first global privilege they lack, or whether they are enough;
/// [`MasterRights::Unknown`] when some come through roles, which `SHOW GRANTS` does not expand.
fn judge(grants: &GrantSet) -> Result<MasterRights, &'static str> {
    if !grants.roles.is_empty() {
        return Ok(MasterRights::Unknown);
    }
    let global = grants.objects.get(GLOBAL);
    let holds = |wanted: &str| {
        global.is_some_and(|grant| {
            grant.privileges.iter().any(|privilege| {
                privilege.column.is_none() && [wanted, ALL_PRIVILEGES].contains(&privilege.name.as_str())
            })
        })
    };
    if !holds(CREATE_USER) {
        return Err("CREATE USER ON *.*");
    }
    if !global.is_some_and(|grant| grant.grant_option) {
        return Err("GRANT OPTION ON *.*");
    }
    Ok(MasterRights::Held)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::Account;

    fn grants(rows: &[&str]) -> GrantSet {
        let rows: Vec<String> = rows.iter().map(|row| (*row).to_owned()).collect();
        GrantSet::parse(&rows, &Account::new("admin", "%")).unwrap()
    }

    #[test]
    fn a_master_needs_create_user_and_the_grant_option_globally() {
        let rds = "GRANT SELECT, INSERT, CREATE USER, RELOAD ON *.* TO `admin`@`%` WITH GRANT OPTION";
        assert_eq!(judge(&grants(&[rds])), Ok(MasterRights::Held));
        let all = "GRANT ALL PRIVILEGES ON *.* TO `admin`@`%` WITH GRANT OPTION";
        assert_eq!(judge(&grants(&[all])), Ok(MasterRights::Held));
        let no_option = "GRANT CREATE USER ON *.* TO `admin`@`%`";
        assert_eq!(judge(&grants(&[no_option])), Err("GRANT OPTION ON *.*"));
        let database_only = "GRANT ALL PRIVILEGES ON `shop`.* TO `admin`@`%` WITH GRANT OPTION";
        assert_eq!(
            judge(&grants(&["GRANT USAGE ON *.* TO `admin`@`%`", database_only])),
            Err("CREATE USER ON *.*")
        );
    }

    #[test]
    fn a_master_with_roles_is_not_judged() {
        let rows = ["GRANT USAGE ON *.* TO `admin`@`%`", "GRANT `dba` TO `admin`@`%`"];
        assert_eq!(judge(&grants(&rows)), Ok(MasterRights::Unknown));
    }
}
