//! What the master may do to roles, by the rules of the server's version, checked before the
//! rotation changes anything.
//!
//! PostgreSQL 16 narrowed `CREATEROLE`: granting membership in a role needs `ADMIN OPTION` on
//! it, and changing another role's password needs `CREATEROLE` *and* `ADMIN OPTION` on it. A
//! `CREATEROLE` role gets `ADMIN OPTION` on the roles it creates, so an RDS master manages the
//! roles it created, but not roles someone else created. Up to PostgreSQL 15, `CREATEROLE` alone
//! manages every role that is not a superuser. Only a superuser manages superuser roles.

use tokio_postgres::Row;

use crate::connect::Session;
use crate::error::{PgError, PostgresFailure};
use crate::verifier::PasswordEncryption;

/// The master's own attributes, the server's version and `password_encryption`, and for each
/// role in `$1` whether it is a superuser and whether the master holds `ADMIN OPTION` on it
/// (directly or through a role it is a member of; a superuser always does). One row per role in
/// `$1` that exists, or a single row with NULL role columns when none does. Every name is
/// schema-qualified and the session's `search_path` is pinned.
const MASTER_RIGHTS: &str = "\
SELECT pg_catalog.current_setting('server_version_num')::pg_catalog.int4,
       pg_catalog.current_setting('password_encryption'),
       m.rolsuper, m.rolcreaterole,
       g.rolname::pg_catalog.text, g.rolsuper,
       pg_catalog.pg_has_role(g.oid, 'MEMBER WITH ADMIN OPTION')
  FROM pg_catalog.pg_roles m
  LEFT JOIN pg_catalog.pg_roles g ON g.rolname OPERATOR(pg_catalog.=) ANY ($1::pg_catalog.text[]::pg_catalog.name[])
 WHERE m.rolname OPERATOR(pg_catalog.=) CURRENT_USER";

/// The first version with PostgreSQL 16's rules (`server_version_num`).
const NARROWED_CREATEROLE: i32 = 160_000;

/// What one role looks like to the master.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TargetRole {
    name: String,
    superuser: bool,
    admin: bool,
}

/// The master session's rights over a set of roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MasterRights {
    version_num: i32,
    encryption: PasswordEncryption,
    superuser: bool,
    create_role: bool,
    roles: Vec<TargetRole>,
}

impl MasterRights {
    /// Reads the master's rights over `roles` in one query. Changes nothing.
    pub(crate) async fn read(session: &Session, roles: &[&str]) -> Result<Self, PgError> {
        const OPERATION: &str = "SELECT master rights";
        let roles: Vec<String> = roles.iter().map(|role| (*role).to_owned()).collect();
        let rows = session.query(OPERATION, MASTER_RIGHTS, &[&roles]).await?;
        Self::from_rows(&rows).ok_or(PgError::unexpected(OPERATION, "a row of another shape"))
    }

    fn from_rows(rows: &[Row]) -> Option<Self> {
        let first = rows.first()?;
        let encryption: String = first.try_get(1).ok()?;
        let mut rights = Self {
            version_num: first.try_get(0).ok()?,
            encryption: PasswordEncryption::from_setting(&encryption),
            superuser: first.try_get(2).ok()?,
            create_role: first.try_get(3).ok()?,
            roles: Vec::with_capacity(rows.len()),
        };
        for row in rows {
            let name: Option<String> = row.try_get(4).ok()?;
            if let Some(name) = name {
                rights.roles.push(TargetRole {
                    name,
                    superuser: row.try_get(5).ok()?,
                    admin: row.try_get(6).ok()?,
                });
            }
        }
        Some(rights)
    }

    /// How the server stores new passwords, as the master's session sees it.
    pub(crate) fn encryption(&self) -> PasswordEncryption {
        self.encryption
    }

    fn narrowed(&self) -> bool {
        self.version_num >= NARROWED_CREATEROLE
    }

    fn role(&self, name: &str) -> TargetRole {
        // A role that does not exist is not the master's to manage: the server would refuse too.
        self.roles
            .iter()
            .find(|role| role.name == name)
            .cloned()
            .unwrap_or(TargetRole {
                name: name.to_owned(),
                superuser: false,
                admin: false,
            })
    }

    /// Whether the master may create roles at all (`CREATE ROLE` still checks each attribute).
    pub(crate) fn may_create(&self, role: &str) -> Result<(), PgError> {
        if self.superuser || self.create_role {
            return Ok(());
        }
        Err(lacking("create the alternate", role, "CREATEROLE"))
    }

    /// Whether the master may `GRANT role TO …`, with or without `ADMIN OPTION`.
    pub(crate) fn may_grant(&self, role: &str) -> Result<(), PgError> {
        const ACTION: &str = "grant membership in";
        let target = self.role(role);
        if self.superuser {
            return Ok(());
        }
        if target.superuser {
            return Err(lacking(ACTION, role, "SUPERUSER, since the role is a superuser"));
        }
        if self.narrowed() && !target.admin {
            return Err(lacking(
                ACTION,
                role,
                "ADMIN OPTION on it (PostgreSQL 16 and later; the role that created it has it)",
            ));
        }
        if !self.narrowed() && !target.admin && !self.create_role {
            return Err(lacking(ACTION, role, "CREATEROLE or ADMIN OPTION on it"));
        }
        Ok(())
    }

    /// Whether the master may `ALTER ROLE role PASSWORD …`.
    pub(crate) fn may_set_password(&self, role: &str) -> Result<(), PgError> {
        const ACTION: &str = "set the password of";
        let target = self.role(role);
        if self.superuser {
            return Ok(());
        }
        if target.superuser {
            return Err(lacking(ACTION, role, "SUPERUSER, since the role is a superuser"));
        }
        if self.narrowed() && !(self.create_role && target.admin) {
            return Err(lacking(
                ACTION,
                role,
                "CREATEROLE and ADMIN OPTION on it (PostgreSQL 16 and later; the role that created it has it)",
            ));
        }
        if !self.narrowed() && !self.create_role {
            return Err(lacking(ACTION, role, "CREATEROLE"));
        }
        Ok(())
    }
}

fn lacking(action: &'static str, role: &str, requirement: &'static str) -> PgError {
    PgError::from(PostgresFailure::MasterLacksPrivilege {
        action,
        role: role.to_owned(),
        requirement,
    })
}

/// `error`, or [`PgError::MasterLacksPrivilege`] when the server refused it for lack of
/// privilege (SQLSTATE 42501): a rule the checks above do not model, such as an attribute the
/// master may not give.
pub(crate) fn refused_as_lacking(
    error: PgError,
    action: &'static str,
    role: &str,
    requirement: &'static str,
) -> PgError {
    match &error {
        PgError::Statement { code, .. } if code.sqlstate == "42501" => lacking(action, role, requirement),
        _ => error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rights(version_num: i32, superuser: bool, create_role: bool, admin_of: &[&str]) -> MasterRights {
        MasterRights {
            version_num,
            encryption: PasswordEncryption::ScramSha256,
            superuser,
            create_role,
            roles: ["app", "group", "created", "boss"]
                .into_iter()
                .map(|name| TargetRole {
                    name: name.to_owned(),
                    superuser: name == "boss",
                    admin: admin_of.contains(&name),
                })
                .collect(),
        }
    }

    fn requirement(result: Result<(), PgError>) -> &'static str {
        match result {
            Err(PgError::Engine(PostgresFailure::MasterLacksPrivilege { requirement, .. })) => requirement,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn on_16_and_later_createrole_manages_only_roles_it_holds_admin_on() {
        let master = rights(160_004, false, true, &["created"]);

        assert!(master.may_grant("created").is_ok());
        assert!(master.may_set_password("created").is_ok());
        assert!(requirement(master.may_grant("app")).starts_with("ADMIN OPTION"));
        assert!(requirement(master.may_set_password("app")).starts_with("CREATEROLE and ADMIN OPTION"));
        assert!(requirement(master.may_grant("nobody")).starts_with("ADMIN OPTION"));
    }

    #[test]
    fn on_16_and_later_admin_without_createrole_may_grant_but_not_set_passwords() {
        let master = rights(170_010, false, false, &["app"]);

        assert!(master.may_grant("app").is_ok());
        assert!(master.may_set_password("app").is_err());
        assert!(master.may_create("app_clone").is_err());
    }

    #[test]
    fn up_to_15_createrole_manages_every_role_but_superusers() {
        let master = rights(150_020, false, true, &[]);

        assert!(master.may_grant("app").is_ok());
        assert!(master.may_set_password("app").is_ok());
        assert!(requirement(master.may_grant("boss")).starts_with("SUPERUSER"));
        assert!(requirement(master.may_set_password("boss")).starts_with("SUPERUSER"));
        assert!(requirement(rights(150_020, false, false, &[]).may_set_password("app")) == "CREATEROLE");
    }

    #[test]
    fn a_superuser_master_may_do_everything() {
        let master = rights(180_006, true, false, &[]);

        for role in ["app", "boss", "nobody"] {
            assert!(master.may_grant(role).is_ok());
            assert!(master.may_set_password(role).is_ok());
        }
        assert!(master.may_create("app_clone").is_ok());
    }

    #[test]
    fn only_privilege_refusals_become_a_lacking_privilege() {
        let refused = PgError::Statement {
            operation: "CREATE ROLE",
            code: rotor_core::database::ServerCode::sqlstate("42501"),
            message: None,
        };
        let other = PgError::Statement {
            operation: "CREATE ROLE",
            code: rotor_core::database::ServerCode::sqlstate("42710"),
            message: None,
        };

        let mapped = refused_as_lacking(refused, "create the alternate", "app_clone", "CREATEROLE");
        let kept = refused_as_lacking(other, "create the alternate", "app_clone", "CREATEROLE");

        assert!(
            matches!(
                mapped,
                PgError::Engine(PostgresFailure::MasterLacksPrivilege { .. })
            ),
            "{mapped:?}"
        );
        assert!(matches!(kept, PgError::Statement { .. }), "{kept:?}");
        assert_eq!(
            rotor_core::Classify::error_type(&mapped),
            "PostgresMasterLacksPrivilege"
        );
    }
}
