//! The alternate role: inspecting the pair, creating the clone from the original, refusing to
//! take over a role that is not provably the alternate, and setting the pending password.
//!
//! Everything runs as the master user in one transaction, so a failure or a crash leaves the
//! catalog as it was, and a repeat converges. The master's privileges are checked (see
//! [`MasterRights`]) before the first change.

use rotor_core::database::UserPair;
use secrecy::SecretString;
use tokio_postgres::Row;

use crate::connect::Session;
use crate::error::{PgError, PostgresFailure};
use crate::privileges::{MasterRights, refused_as_lacking};
use crate::sql::{
    Membership, RoleAttributes, Verifier, alter_password, comment_on_role, copy_role_setting, create_role,
    grant_membership, grant_role,
};

/// What the master needs to create the clone, when the server refuses a statement for lack of
/// privilege in a way [`MasterRights`] does not model.
const CREATE_REQUIREMENT: &str = "CREATEROLE, plus each attribute it copies from the original      (PostgreSQL 16 and later: CREATEDB, REPLICATION or BYPASSRLS held by the master itself;      before 16: REPLICATION and BYPASSRLS need a superuser)";

// Master sessions run these on a pinned `search_path` (see `connect::PINNED_SEARCH_PATH`), and
// every relation, function, operator and type in them is schema-qualified as well, so neither a
// planted `public.unnest(text[])` nor an `ALTER DATABASE … SET search_path` can make the master
// run someone else's code.

/// Attributes of both roles, and how the clone relates to the original.
const INSPECT: &str = "\
SELECT r.rolname::pg_catalog.text, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb,
       r.rolreplication, r.rolbypassrls, r.rolconnlimit, r.rolvaliduntil::pg_catalog.text,
       EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members m
                WHERE m.member OPERATOR(pg_catalog.=) r.oid
                  AND m.roleid OPERATOR(pg_catalog.=) o.oid),
       (SELECT pg_catalog.count(*) FROM pg_catalog.pg_auth_members m
         WHERE m.member OPERATOR(pg_catalog.=) r.oid
           AND m.roleid OPERATOR(pg_catalog.<>) o.oid
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members a
                            WHERE a.member OPERATOR(pg_catalog.=) o.oid
                              AND a.roleid OPERATOR(pg_catalog.=) m.roleid))
  FROM pg_catalog.pg_roles r
  LEFT JOIN pg_catalog.pg_roles o ON o.rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name
 WHERE r.rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name
    OR r.rolname OPERATOR(pg_catalog.=) $2::pg_catalog.name";

/// The roles the original is directly a member of, with each option if any grant has it. The
/// INHERIT and SET options exist from PostgreSQL 16 on; read through `to_jsonb` they are NULL
/// before, so one query serves every version.
const MEMBERSHIPS: &str = "\
SELECT g.rolname::pg_catalog.text, pg_catalog.bool_or(m.admin_option),
       pg_catalog.bool_or((pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'inherit_option')::pg_catalog.bool),
       pg_catalog.bool_or((pg_catalog.to_jsonb(m) OPERATOR(pg_catalog.->>) 'set_option')::pg_catalog.bool)
  FROM pg_catalog.pg_auth_members m
  JOIN pg_catalog.pg_roles g ON g.oid OPERATOR(pg_catalog.=) m.roleid
  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) m.member
 WHERE r.rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name
 GROUP BY g.rolname
 ORDER BY g.rolname";

/// The original's role-level settings (`ALTER ROLE … [IN DATABASE …] SET`), one per row.
const SETTINGS: &str = "\
SELECT d.datname::pg_catalog.text, pg_catalog.unnest(s.setconfig)
  FROM pg_catalog.pg_db_role_setting s
  JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) s.setrole
  LEFT JOIN pg_catalog.pg_database d ON d.oid OPERATOR(pg_catalog.=) s.setdatabase
 WHERE r.rolname OPERATOR(pg_catalog.=) $1::pg_catalog.name
 ORDER BY 1 NULLS FIRST, 2";

/// What the catalog says about one role of the pair.
#[derive(Debug)]
struct RoleInfo {
    name: String,
    attributes: RoleAttributes,
    /// Directly a member of the original role.
    member_of_original: bool,
    /// Direct memberships in roles the original is not a member of.
    extra_memberships: i64,
}

impl RoleInfo {
    fn from_row(row: &Row) -> Result<Self, PgError> {
        let unexpected = |_| PgError::unexpected("SELECT roles", "a row of another shape");
        Ok(Self {
            name: row.try_get(0).map_err(unexpected)?,
            attributes: RoleAttributes {
                superuser: row.try_get(1).map_err(unexpected)?,
                inherit: row.try_get(2).map_err(unexpected)?,
                create_role: row.try_get(3).map_err(unexpected)?,
                create_db: row.try_get(4).map_err(unexpected)?,
                replication: row.try_get(5).map_err(unexpected)?,
                bypass_rls: row.try_get(6).map_err(unexpected)?,
                connection_limit: row.try_get(7).map_err(unexpected)?,
                valid_until: row.try_get(8).map_err(unexpected)?,
            },
            member_of_original: row.try_get(9).map_err(unexpected)?,
            extra_memberships: row.try_get(10).map_err(unexpected)?,
        })
    }
}

/// The comment a created clone carries, so operators can tell where it came from.
pub fn marker_comment(original: &str) -> String {
    format!(
        "rotor-postgres: alternate login of role {original}, created by the alternating-users rotation; \
         its password is managed by AWS Secrets Manager"
    )
}

/// Gives `pending_user` (one of `pair`) the pending password, creating the clone first when it
/// does not exist. One transaction: `BEGIN`, inspect, check the master's rights, create or
/// check, set, `COMMIT`. The verifier is of the kind the master's session stores
/// (`password_encryption`): md5 on a server set to md5, SCRAM-SHA-256 otherwise.
///
/// Second run: the clone exists and is linked to the original, so only the verifier is applied
/// again, which changes nothing a login can observe.
pub(crate) async fn set_alternate_password(
    session: &Session,
    pair: &UserPair,
    pending_user: &str,
    password: &SecretString,
) -> Result<(), PgError> {
    session.execute("BEGIN", "BEGIN").await?;
    let rows = session
        .query("SELECT roles", INSPECT, &[&pair.original, &pair.clone])
        .await?;
    let mut original = None;
    let mut clone = None;
    for row in &rows {
        let info = RoleInfo::from_row(row)?;
        if info.name == pair.original {
            original = Some(info);
        } else if info.name == pair.clone {
            clone = Some(info);
        }
    }
    let original = original.ok_or_else(|| {
        PgError::from(PostgresFailure::RoleMissing {
            role: pair.original.clone(),
        })
    })?;
    match clone {
        None if pending_user == pair.clone => create_clone(session, pair, &original, password).await?,
        None => {
            return Err(PgError::from(PostgresFailure::RoleMissing {
                role: pair.clone.clone(),
            }));
        }
        Some(clone) => {
            check_alternate(pair, &original, &clone, pending_user == pair.clone)?;
            let rights = MasterRights::read(session, &[pending_user]).await?;
            rights.may_set_password(pending_user)?;
            let verifier = Verifier::for_role(rights.encryption(), pending_user, password);
            session
                .execute_secret("ALTER ROLE PASSWORD", &alter_password(pending_user, &verifier))
                .await
                .map_err(|error| {
                    refused_as_lacking(
                        error,
                        "set the password of",
                        pending_user,
                        "CREATEROLE (PostgreSQL 16 and later: and ADMIN OPTION on it)",
                    )
                })?;
            tracing::info!(
                password_encryption = rights.encryption().as_str(),
                "set the pending user's password"
            );
        }
    }
    session.execute("COMMIT", "COMMIT").await
}

/// The rule for adopting an existing role with the clone's name: it must be directly a member of
/// the original (which rotor and AWS's function both grant at creation, and which only a holder
/// of ADMIN on the original can grant). When it is about to receive the pending password, it must
/// also hold no role attribute and no direct membership that the original lacks, so handing its
/// password to the secret's readers cannot give them more than the original's rights.
fn check_alternate(
    pair: &UserPair,
    original: &RoleInfo,
    clone: &RoleInfo,
    clone_is_pending: bool,
) -> Result<(), PgError> {
    let refuse = |reason| PgError::NotOurAlternate {
        account: format!(
            "role {:?} (named like the alternate of {:?})",
            pair.clone, pair.original
        ),
        reason,
    };
    if !clone.member_of_original {
        return Err(refuse("it is not a member of the original role"));
    }
    if clone_is_pending && clone.attributes.exceed(&original.attributes) {
        return Err(refuse("it has role attributes the original lacks"));
    }
    if clone_is_pending && clone.extra_memberships > 0 {
        return Err(refuse("it is a member of roles the original is not a member of"));
    }
    Ok(())
}

/// A refused `GRANT group TO clone`, as the master's missing privilege.
fn grant_refused(error: PgError, group: &str) -> PgError {
    refused_as_lacking(
        error,
        "grant membership in",
        group,
        "ADMIN OPTION on it (CREATEROLE suffices before PostgreSQL 16)",
    )
}

/// The original's direct memberships, with the options the clone copies.
async fn memberships(session: &Session, original: &str) -> Result<Vec<(String, Membership)>, PgError> {
    let rows = session
        .query("SELECT memberships", MEMBERSHIPS, &[&original])
        .await?;
    let mut groups = Vec::with_capacity(rows.len());
    for row in &rows {
        let unexpected = |_| PgError::unexpected("SELECT memberships", "a row of another shape");
        let group: String = row.try_get(0).map_err(unexpected)?;
        let membership = Membership {
            admin: row.try_get(1).map_err(unexpected)?,
            inherit: row.try_get(2).map_err(unexpected)?,
            set: row.try_get(3).map_err(unexpected)?,
        };
        groups.push((group, membership));
    }
    Ok(groups)
}

/// Whether the master may create the clone and grant it membership in the original and in each
/// of `groups`; its rights, when it may.
async fn may_create_clone(
    session: &Session,
    pair: &UserPair,
    groups: &[(String, Membership)],
) -> Result<MasterRights, PgError> {
    let mut targets = vec![pair.original.as_str()];
    targets.extend(groups.iter().map(|(group, _)| group.as_str()));
    let rights = MasterRights::read(session, &targets).await?;
    rights.may_create(&pair.clone)?;
    for target in &targets {
        rights.may_grant(target)?;
    }
    Ok(rights)
}

/// Checks, changing nothing, that the master may do what the next rotation of `pair` does for
/// `pending_user`: create the clone with the original's memberships when it does not exist yet,
/// or set the password of the existing user. The same reads and rules as the rotation's own,
/// outside a transaction.
pub(crate) async fn check_master_rights(
    session: &Session,
    pair: &UserPair,
    pending_user: &str,
) -> Result<(), PgError> {
    let rows = session
        .query("SELECT roles", INSPECT, &[&pair.original, &pair.clone])
        .await?;
    let mut existing = Vec::with_capacity(rows.len());
    for row in &rows {
        existing.push(RoleInfo::from_row(row)?.name);
    }
    let missing = |role: &str| {
        PgError::from(PostgresFailure::RoleMissing {
            role: role.to_owned(),
        })
    };
    if !existing.contains(&pair.original) {
        return Err(missing(&pair.original));
    }
    if existing.iter().any(|name| name == pending_user) {
        let rights = MasterRights::read(session, &[pending_user]).await?;
        return rights.may_set_password(pending_user);
    }
    if pending_user != pair.clone {
        return Err(missing(pending_user));
    }
    let groups = memberships(session, &pair.original).await?;
    may_create_clone(session, pair, &groups).await.map(drop)
}

/// Creates the clone with the pending password and the original's attributes, membership in the
/// original, the original's direct memberships and its role-level settings, then marks it. The
/// master's right to grant each membership is checked before `CREATE ROLE`; a statement the
/// server still refuses for lack of privilege fails the transaction, which rolls back.
async fn create_clone(
    session: &Session,
    pair: &UserPair,
    original: &RoleInfo,
    password: &SecretString,
) -> Result<(), PgError> {
    let groups = memberships(session, &pair.original).await?;
    let settings = session
        .query("SELECT role settings", SETTINGS, &[&pair.original])
        .await?;
    // Every statement is built before the first is sent, so a setting that cannot be copied
    // fails the rotation before anything changes.
    let rights = may_create_clone(session, pair, &groups).await?;
    let grants: Vec<(&str, String)> = groups
        .iter()
        .map(|(group, membership)| (group.as_str(), grant_membership(group, &pair.clone, membership)))
        .collect();
    let mut role_settings = Vec::with_capacity(settings.len());
    for row in &settings {
        let unexpected = |_| PgError::unexpected("SELECT role settings", "a row of another shape");
        let database: Option<String> = row.try_get(0).map_err(unexpected)?;
        let entry: String = row.try_get(1).map_err(unexpected)?;
        let statement = copy_role_setting(&pair.clone, database.as_deref(), &entry).ok_or_else(|| {
            PgError::from(PostgresFailure::UnsupportedRoleSetting {
                name: entry.split('=').next().unwrap_or_default().to_owned(),
            })
        })?;
        role_settings.push(statement);
    }

    let verifier = Verifier::for_role(rights.encryption(), &pair.clone, password);
    let on_clone = |error| refused_as_lacking(error, "create the alternate", &pair.clone, CREATE_REQUIREMENT);
    session
        .execute_secret(
            "CREATE ROLE",
            &create_role(&pair.clone, &original.attributes, &verifier),
        )
        .await
        .map_err(on_clone)?;
    session
        .execute("GRANT original", &grant_role(&pair.original, &pair.clone, false))
        .await
        .map_err(|error| grant_refused(error, &pair.original))?;
    for (group, grant) in &grants {
        session
            .execute("GRANT membership", grant)
            .await
            .map_err(|error| grant_refused(error, group))?;
    }
    for setting in &role_settings {
        session
            .execute_redacted("ALTER ROLE SET", setting)
            .await
            .map_err(|error| {
                refused_as_lacking(
                    error,
                    "copy the role-level settings to",
                    &pair.clone,
                    "the right to set each parameter the original has a role-level setting for \
                     (a superuser-only parameter needs SUPERUSER or GRANT SET ON PARAMETER)",
                )
            })?;
    }
    session
        .execute(
            "COMMENT ON ROLE",
            &comment_on_role(&pair.clone, &marker_comment(&pair.original)),
        )
        .await
        .map_err(on_clone)?;
    tracing::info!(
        copied_memberships = grants.len(),
        copied_settings = role_settings.len(),
        password_encryption = rights.encryption().as_str(),
        "created the alternate role"
    );
    Ok(())
}
