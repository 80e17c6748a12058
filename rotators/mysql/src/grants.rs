//! `SHOW GRANTS` rows, parsed into what an account holds: privileges per object, roles, default roles.
//!
//! AWS's function splits each row at the first `" TO "` and re-targets the text before it, which drops
//! `WITH GRANT OPTION`, breaks on names that contain `" TO "`, and can only add. Here each row is tokenised
//! (quoted names are single tokens, so no name can fake a keyword), the grantee is checked to be the account
//! asked about, and the result is a set that can be compared with another account's (see
//! [`crate::grant_sync`]).
//!
//! Rows are never logged or put in an error: MariaDB's `GRANT USAGE` row carries the password hash.

use std::collections::{BTreeMap, BTreeSet};

use crate::account::Account;
use crate::connect::{Session, text};
use crate::error::{MySqlError, MySqlFailure};
use crate::flavour::Flavour;
use crate::grant_syntax::Row;

/// One privilege, optionally on one column: `SELECT`, `UPDATE (`a`)`, `ALL PRIVILEGES`, `BACKUP_ADMIN`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Privilege {
    /// The privilege name in upper case, words separated by one space.
    pub name: String,
    /// The quoted column, as the server printed it, for column privileges.
    pub column: Option<String>,
}

/// What an account holds on one object (`*.*`, `` `db`.* ``, `` `db`.`t` ``, `` PROCEDURE `db`.`p` ``, a proxied
/// account).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ObjectGrant {
    /// The privileges, without `USAGE` (which means none).
    pub privileges: BTreeSet<Privilege>,
    /// `WITH GRANT OPTION`.
    pub grant_option: bool,
}

/// Everything `SHOW GRANTS FOR` an account says it holds, except its authentication and TLS settings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct GrantSet {
    /// Privileges per object, keyed by the object exactly as the server prints it.
    pub objects: BTreeMap<String, ObjectGrant>,
    /// Granted roles (as printed), with `WITH ADMIN OPTION`.
    pub roles: BTreeMap<String, bool>,
    /// Partial revokes (MySQL 8 `REVOKE … ON db.* FROM …` rows), per object.
    pub partial_revokes: BTreeMap<String, BTreeSet<Privilege>>,
    /// Default roles (as printed). MariaDB lists them as `SET DEFAULT ROLE` rows; for MySQL the caller reads
    /// `mysql.default_roles`.
    pub default_roles: BTreeSet<String>,
}

/// Why one row could not be understood, with its 1-based number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowError {
    /// The row number.
    pub row: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl GrantSet {
    /// Parses the rows of `SHOW GRANTS FOR account`. Every row must name `account` as its grantee.
    pub(crate) fn parse(rows: &[String], account: &Account) -> Result<Self, RowError> {
        let mut set = Self::default();
        for (number, text) in rows.iter().enumerate() {
            set.add_row(text, account).map_err(|reason| RowError {
                row: number + 1,
                reason,
            })?;
        }
        Ok(set)
    }

    fn add_row(&mut self, text: &str, account: &Account) -> Result<(), &'static str> {
        let row = Row::parse(text)?;
        if row.is_word(0, "GRANT") {
            let to = row.find_word(1, "TO").ok_or("no TO")?;
            if !row.names_account(to + 1, account) {
                return Err("the grantee is not the account asked about");
            }
            match row.find_word(1, "ON").filter(|on| *on < to) {
                Some(on) => {
                    let object = row.slice(on + 1, to).to_owned();
                    if object.is_empty() {
                        return Err("no object after ON");
                    }
                    let grant = self.objects.entry(object).or_default();
                    grant.privileges.extend(row.privileges(1, on)?);
                    grant.grant_option |= row.has_option(to + 4, "GRANT");
                }
                None => {
                    let admin = row.has_option(to + 4, "ADMIN");
                    for role in row.items(1, to) {
                        self.roles.insert(role, admin);
                    }
                }
            }
        } else if row.is_word(0, "REVOKE") {
            let from = row.find_word(1, "FROM").ok_or("no FROM")?;
            let on = row.find_word(1, "ON").filter(|on| *on < from).ok_or("no ON")?;
            if !row.names_account(from + 1, account) {
                return Err("the grantee is not the account asked about");
            }
            let privileges = row.privileges(1, on)?;
            self.partial_revokes
                .entry(row.slice(on + 1, from).to_owned())
                .or_default()
                .extend(privileges);
        } else if row.is_word(0, "SET") && row.is_word(1, "DEFAULT") && row.is_word(2, "ROLE") {
            let target = row
                .find_word(3, "FOR")
                .or_else(|| row.find_word(3, "TO"))
                .ok_or("no FOR")?;
            if !row.names_account(target + 1, account) {
                return Err("the grantee is not the account asked about");
            }
            let roles = row.items(3, target);
            if !(roles.len() == 1 && roles[0].eq_ignore_ascii_case("NONE")) {
                self.default_roles.extend(roles);
            }
        } else {
            return Err("neither GRANT, REVOKE nor SET DEFAULT ROLE");
        }
        Ok(())
    }
}

/// `SHOW GRANTS FOR account`, parsed; plus, on MySQL 8, the default roles from `mysql.default_roles`.
pub(crate) async fn read_grants(session: &mut Session, account: &Account) -> Result<GrantSet, MySqlError> {
    let quoting = session.quoting();
    let rows = session
        .query(
            "SHOW GRANTS",
            &format!("SHOW GRANTS FOR {}", quoting.account(account)),
        )
        .await?;
    let rows: Vec<String> = rows.iter().filter_map(|row| text(row, 0)).collect();
    let mut grants = GrantSet::parse(&rows, account).map_err(|error| {
        MySqlError::from(MySqlFailure::GrantsNotUnderstood {
            account: account.to_string(),
            row: error.row,
            reason: error.reason,
        })
    })?;
    let version = *session.version();
    if version.flavour == Flavour::MySql && version.supports_roles() {
        let sql = format!(
            "SELECT DEFAULT_ROLE_USER, DEFAULT_ROLE_HOST FROM mysql.default_roles WHERE HOST = {} AND USER = {}",
            quoting.literal(&account.host),
            quoting.literal(&account.user)
        );
        for row in session.query("SELECT mysql.default_roles", &sql).await? {
            let role = Account::new(
                text(&row, 0).unwrap_or_default(),
                text(&row, 1).unwrap_or_default(),
            );
            grants.default_roles.insert(quoting.account(&role));
        }
    }
    Ok(grants)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn privilege(name: &str, column: Option<&str>) -> Privilege {
        Privilege {
            name: name.into(),
            column: column.map(str::to_owned),
        }
    }

    fn parse(rows: &[&str], account: &Account) -> Result<GrantSet, RowError> {
        GrantSet::parse(
            &rows.iter().map(|row| (*row).to_owned()).collect::<Vec<_>>(),
            account,
        )
    }

    #[test]
    fn mariadb_rows_parse_with_options_columns_roles_and_proxy() {
        let account = Account::new("app", "127.0.0.1");
        let set = parse(
            &[
                "GRANT `r1` TO `app`@`127.0.0.1`",
                "GRANT USAGE ON *.* TO `app`@`127.0.0.1` IDENTIFIED BY PASSWORD '*2B60' REQUIRE SSL WITH MAX_USER_CONNECTIONS 5",
                "GRANT SELECT, INSERT ON `d1`.* TO `app`@`127.0.0.1` WITH GRANT OPTION",
                "GRANT SELECT (`a`), UPDATE (`a`, `b`) ON `d1`.`t` TO `app`@`127.0.0.1`",
                "GRANT PROXY ON ``@`%` TO `app`@`127.0.0.1`",
                "SET DEFAULT ROLE `r1` FOR `app`@`127.0.0.1`",
            ],
            &account,
        )
        .unwrap();
        assert_eq!(
            set.objects["*.*"],
            ObjectGrant::default(),
            "USAGE is no privilege"
        );
        let db = &set.objects["`d1`.*"];
        assert!(db.grant_option);
        assert_eq!(
            db.privileges,
            [privilege("INSERT", None), privilege("SELECT", None)].into()
        );
        let table = &set.objects["`d1`.`t`"];
        assert!(!table.grant_option);
        assert_eq!(
            table.privileges,
            [
                privilege("SELECT", Some("`a`")),
                privilege("UPDATE", Some("`a`")),
                privilege("UPDATE", Some("`b`"))
            ]
            .into()
        );
        assert!(
            set.objects["``@`%`"]
                .privileges
                .contains(&privilege("PROXY", None))
        );
        assert_eq!(set.roles, [("`r1`".to_owned(), false)].into());
        assert_eq!(set.default_roles, ["`r1`".to_owned()].into());
    }

    #[test]
    fn mysql8_rows_parse_with_dynamic_privileges_role_lists_and_partial_revokes() {
        let account = Account::new("app", "%");
        let set = parse(
            &[
                "GRANT SELECT, INSERT ON *.* TO `app`@`%`",
                "GRANT APPLICATION_PASSWORD_ADMIN,BACKUP_ADMIN ON *.* TO `app`@`%` WITH GRANT OPTION",
                "REVOKE INSERT ON `mysql`.* FROM `app`@`%`",
                "GRANT `r1`@`%`,`r2`@`%` TO `app`@`%` WITH ADMIN OPTION",
                "GRANT CREATE TEMPORARY TABLES, EXECUTE ON PROCEDURE `db`.`p` TO `app`@`%`",
            ],
            &account,
        )
        .unwrap();
        let global = &set.objects["*.*"];
        assert_eq!(global.privileges.len(), 4);
        assert!(global.grant_option);
        assert_eq!(
            set.partial_revokes["`mysql`.*"],
            [privilege("INSERT", None)].into()
        );
        assert_eq!(
            set.roles,
            [("`r1`@`%`".to_owned(), true), ("`r2`@`%`".to_owned(), true)].into()
        );
        assert!(
            set.objects["PROCEDURE `db`.`p`"]
                .privileges
                .contains(&privilege("CREATE TEMPORARY TABLES", None))
        );
    }

    #[test]
    fn hostile_names_cannot_fake_keywords_or_grantees() {
        let account = Account::new("a` TO `root", "%");
        let set = parse(&["GRANT SELECT ON `x TO y`.* TO `a`` TO ``root`@`%`"], &account).unwrap();
        assert!(set.objects.contains_key("`x TO y`.*"));
        let other = Account::new("app", "%");
        let error = parse(&["GRANT SELECT ON *.* TO `root`@`%`"], &other).unwrap_err();
        assert_eq!(error.row, 1);
        assert!(
            parse(&["GRANT SELECT ON *.* TO `app`@`%"], &other).is_err(),
            "unclosed quote"
        );
        assert!(parse(&["DROP USER `app`@`%`"], &other).is_err());
        let quoted = Account::new("o'k\\", "10.%");
        assert!(parse(&["GRANT USAGE ON *.* TO 'o''k\\\\'@'10.%'"], &quoted).is_ok());
    }

    #[test]
    fn default_role_none_means_no_default_role() {
        let account = Account::new("app", "%");
        let set = parse(&["SET DEFAULT ROLE NONE FOR `app`@`%`"], &account).unwrap();
        assert!(set.default_roles.is_empty());
    }
}
