//! The statements that make an alternate account hold exactly what the original holds.
//!
//! Grants are compared per object and per privilege, so a rotation sends nothing when nothing changed, only
//! the missing `GRANT`s when the original gained a privilege, and only `REVOKE`s when it lost one: the
//! alternate never briefly loses a privilege it keeps. Revokes come first so that a privilege re-granted in
//! another form (for instance `SELECT` replaced by `ALL PRIVILEGES`) ends up granted.

use std::collections::{BTreeMap, BTreeSet};

use crate::account::{Account, Quoting};
use crate::connect::Statement;
use crate::flavour::ServerVersion;
use crate::grants::{GrantSet, ObjectGrant, Privilege};

/// `SELECT, UPDATE (`a`, `b`)`: privileges grouped by name, columns of one privilege in one list.
fn privilege_list(privileges: &BTreeSet<Privilege>) -> String {
    let mut grouped: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for privilege in privileges {
        let columns = grouped.entry(&privilege.name).or_default();
        if let Some(column) = &privilege.column {
            columns.push(column);
        }
    }
    grouped
        .into_iter()
        .map(|(name, columns)| match columns.is_empty() {
            true => name.to_owned(),
            false => format!("{name} ({})", columns.join(", ")),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The statements, in order, that turn `alternate`'s grants into `original`'s, addressed to `target`.
pub(crate) fn sync_statements(
    original: &GrantSet,
    alternate: &GrantSet,
    target: &Account,
    version: &ServerVersion,
    quoting: Quoting,
) -> Vec<Statement> {
    let grantee = quoting.account(target);
    let empty = ObjectGrant::default();
    let mut revokes = Vec::new();
    let mut grants = Vec::new();

    for (role, has_admin) in &alternate.roles {
        match original.roles.get(role) {
            Some(wants_admin) if wants_admin >= has_admin => {}
            _ => revokes.push(Statement::new(
                "REVOKE role",
                format!("REVOKE {role} FROM {grantee}"),
            )),
        }
    }
    let objects: BTreeSet<&String> = original.objects.keys().chain(alternate.objects.keys()).collect();
    for object in objects {
        let wanted = original.objects.get(object).unwrap_or(&empty);
        let held = alternate.objects.get(object).unwrap_or(&empty);
        if held.grant_option && !wanted.grant_option {
            revokes.push(Statement::new(
                "REVOKE GRANT OPTION",
                format!("REVOKE GRANT OPTION ON {object} FROM {grantee}"),
            ));
        }
        let surplus: BTreeSet<Privilege> = held.privileges.difference(&wanted.privileges).cloned().collect();
        if !surplus.is_empty() {
            revokes.push(Statement::new(
                "REVOKE",
                format!("REVOKE {} ON {object} FROM {grantee}", privilege_list(&surplus)),
            ));
        }
        let missing: BTreeSet<Privilege> = wanted.privileges.difference(&held.privileges).cloned().collect();
        let option_missing = wanted.grant_option && !held.grant_option;
        if !missing.is_empty() || option_missing {
            let list = if missing.is_empty() {
                "USAGE".to_owned()
            } else {
                privilege_list(&missing)
            };
            let option = if wanted.grant_option {
                " WITH GRANT OPTION"
            } else {
                ""
            };
            grants.push(Statement::new(
                "GRANT",
                format!("GRANT {list} ON {object} TO {grantee}{option}"),
            ));
        }
    }
    for (role, wants_admin) in &original.roles {
        let held = alternate.roles.get(role);
        if held != Some(wants_admin) {
            let option = if *wants_admin { " WITH ADMIN OPTION" } else { "" };
            grants.push(Statement::new(
                "GRANT role",
                format!("GRANT {role} TO {grantee}{option}"),
            ));
        }
    }
    for (object, wanted) in &original.partial_revokes {
        let held = alternate.partial_revokes.get(object);
        let missing: BTreeSet<Privilege> = wanted
            .iter()
            .filter(|privilege| !held.is_some_and(|held| held.contains(*privilege)))
            .cloned()
            .collect();
        if !missing.is_empty() {
            grants.push(Statement::new(
                "REVOKE partial",
                format!("REVOKE {} ON {object} FROM {grantee}", privilege_list(&missing)),
            ));
        }
    }
    // A partial revoke the original does not have is lifted by granting the privilege on that object, which
    // only makes sense while the global privilege it restricts is (still) wanted.
    let global = original.objects.get("*.*").unwrap_or(&empty);
    for (object, held) in &alternate.partial_revokes {
        let wanted = original.partial_revokes.get(object);
        let lift: BTreeSet<Privilege> = held
            .iter()
            .filter(|privilege| !wanted.is_some_and(|wanted| wanted.contains(*privilege)))
            .filter(|privilege| global.privileges.contains(*privilege))
            .cloned()
            .collect();
        if !lift.is_empty() {
            grants.push(Statement::new(
                "GRANT partial",
                format!("GRANT {} ON {object} TO {grantee}", privilege_list(&lift)),
            ));
        }
    }
    if original.default_roles != alternate.default_roles {
        let roles = match original.default_roles.is_empty() {
            true => "NONE".to_owned(),
            false => original
                .default_roles
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
        };
        let keyword = version.default_role_keyword();
        grants.push(Statement::new(
            "SET DEFAULT ROLE",
            format!("SET DEFAULT ROLE {roles} {keyword} {grantee}"),
        ));
    }
    revokes.extend(grants);
    revokes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rows: &[&str], account: &Account) -> GrantSet {
        GrantSet::parse(
            &rows.iter().map(|row| (*row).to_owned()).collect::<Vec<_>>(),
            account,
        )
        .unwrap()
    }

    fn texts(statements: &[Statement]) -> Vec<&str> {
        statements.iter().map(Statement::text).collect()
    }

    fn mariadb() -> ServerVersion {
        ServerVersion::parse("10.11.19-MariaDB").unwrap()
    }

    #[test]
    fn a_new_alternate_gets_every_grant_with_its_options_at_the_original_host() {
        let original = Account::new("app", "10.%");
        let clone = original.with_user("app_clone");
        let wanted = set(
            &[
                "GRANT USAGE ON *.* TO `app`@`10.%` IDENTIFIED BY PASSWORD '*AB'",
                "GRANT SELECT, INSERT ON `shop`.* TO `app`@`10.%` WITH GRANT OPTION",
                "GRANT UPDATE (`a`, `b`) ON `shop`.`t` TO `app`@`10.%`",
                "GRANT `reader` TO `app`@`10.%` WITH ADMIN OPTION",
                "SET DEFAULT ROLE `reader` FOR `app`@`10.%`",
            ],
            &original,
        );
        let held = set(
            &["GRANT USAGE ON *.* TO `app_clone`@`10.%` IDENTIFIED BY PASSWORD '*CD'"],
            &clone,
        );
        let statements = sync_statements(&wanted, &held, &clone, &mariadb(), Quoting::DEFAULT);
        assert_eq!(
            texts(&statements),
            [
                "GRANT INSERT, SELECT ON `shop`.* TO 'app_clone'@'10.%' WITH GRANT OPTION",
                "GRANT UPDATE (`a`, `b`) ON `shop`.`t` TO 'app_clone'@'10.%'",
                "GRANT `reader` TO 'app_clone'@'10.%' WITH ADMIN OPTION",
                "SET DEFAULT ROLE `reader` FOR 'app_clone'@'10.%'",
            ]
        );
        assert!(
            !texts(&statements).iter().any(|text| text.contains("*AB")),
            "hashes are never copied"
        );
    }

    #[test]
    fn revoked_privileges_options_and_roles_are_revoked_first() {
        let original = Account::new("app", "%");
        let clone = original.with_user("app_clone");
        let wanted = set(&["GRANT SELECT ON `shop`.* TO `app`@`%`"], &original);
        let held = set(
            &[
                "GRANT SELECT, DELETE ON `shop`.* TO `app_clone`@`%` WITH GRANT OPTION",
                "GRANT ALL PRIVILEGES ON `old`.* TO `app_clone`@`%`",
                "GRANT `admin` TO `app_clone`@`%`",
                "SET DEFAULT ROLE `admin` FOR `app_clone`@`%`",
            ],
            &clone,
        );
        let statements = sync_statements(&wanted, &held, &clone, &mariadb(), Quoting::DEFAULT);
        assert_eq!(
            texts(&statements),
            [
                "REVOKE `admin` FROM 'app_clone'@'%'",
                "REVOKE ALL PRIVILEGES ON `old`.* FROM 'app_clone'@'%'",
                "REVOKE GRANT OPTION ON `shop`.* FROM 'app_clone'@'%'",
                "REVOKE DELETE ON `shop`.* FROM 'app_clone'@'%'",
                "SET DEFAULT ROLE NONE FOR 'app_clone'@'%'",
            ]
        );
    }

    #[test]
    fn identical_grants_need_no_statement() {
        let original = Account::new("app", "%");
        let clone = original.with_user("app_clone");
        let rows = [
            "GRANT SELECT ON `shop`.* TO `{}`@`%` WITH GRANT OPTION",
            "GRANT `r` TO `{}`@`%`",
        ];
        let wanted = set(
            &rows
                .map(|row| row.replace("{}", "app"))
                .each_ref()
                .map(String::as_str),
            &original,
        );
        let held = set(
            &rows
                .map(|row| row.replace("{}", "app_clone"))
                .each_ref()
                .map(String::as_str),
            &clone,
        );
        assert!(sync_statements(&wanted, &held, &clone, &mariadb(), Quoting::DEFAULT).is_empty());
    }

    #[test]
    fn mysql8_default_roles_and_partial_revokes_use_mysql_syntax() {
        let mysql = ServerVersion::parse("8.0.36").unwrap();
        let original = Account::new("app", "%");
        let clone = original.with_user("app_clone");
        let mut wanted = set(
            &[
                "GRANT SELECT, INSERT ON *.* TO `app`@`%`",
                "REVOKE INSERT ON `mysql`.* FROM `app`@`%`",
                "GRANT `r1`@`%`,`r2`@`%` TO `app`@`%`",
            ],
            &original,
        );
        wanted.default_roles = ["'r1'@'%'".to_owned(), "'r2'@'%'".to_owned()].into();
        let held = set(
            &[
                "GRANT SELECT ON *.* TO `app_clone`@`%`",
                "REVOKE SELECT ON `secret`.* FROM `app_clone`@`%`",
            ],
            &clone,
        );
        let statements = sync_statements(&wanted, &held, &clone, &mysql, Quoting::DEFAULT);
        assert_eq!(
            texts(&statements),
            [
                "GRANT INSERT ON *.* TO 'app_clone'@'%'",
                "GRANT `r1`@`%` TO 'app_clone'@'%'",
                "GRANT `r2`@`%` TO 'app_clone'@'%'",
                "REVOKE INSERT ON `mysql`.* FROM 'app_clone'@'%'",
                "GRANT SELECT ON `secret`.* TO 'app_clone'@'%'",
                "SET DEFAULT ROLE 'r1'@'%', 'r2'@'%' TO 'app_clone'@'%'",
            ]
        );
    }

    #[test]
    fn hostile_account_names_are_quoted_as_literals() {
        let original = Account::new("a'b\\c; DROP USER x", "%");
        let clone = original.with_user("a'b\\c; DROP USER x_clone");
        let wanted = set(&["GRANT SELECT ON `d`.* TO `a'b\\c; DROP USER x`@`%`"], &original);
        let statements = sync_statements(
            &wanted,
            &GrantSet::default(),
            &clone,
            &mariadb(),
            Quoting::DEFAULT,
        );
        assert_eq!(
            texts(&statements),
            [r"GRANT SELECT ON `d`.* TO 'a''b\\c; DROP USER x_clone'@'%'"]
        );
    }
}
