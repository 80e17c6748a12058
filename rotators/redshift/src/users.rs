//! The alternate user: creating the clone with the original's privileges and memberships, and
//! refusing to set the password of an existing user that is not provably the alternate.
//!
//! Master sessions run every query here on a pinned `search_path` (see the engine), and every
//! catalog relation and function is schema-qualified as well.

use rotor_core::database::{DatabaseSecret, EngineKit, UserPair, check_single_user};
use rotor_core::{RotatorError, StepContext};
use secrecy::SecretString;

use crate::engine::{Redshift, RedshiftSession};
use crate::error::{RedshiftError, RedshiftFailure};
use crate::sql::{Object, ObjectKind, add_to_group, alter_password, create_user, grant_on, grant_role};

/// The users of the pair that exist, with the attributes a clone copies.
const USERS: &str = "\
SELECT u.usename, u.usesuper, u.usecreatedb
  FROM pg_catalog.pg_user u
 WHERE u.usename = $1 OR u.usename = $2";

/// Whether the server is Redshift (whose `version()` names it) rather than a PostgreSQL server
/// speaking for it: only Redshift has roles (`svv_user_grants`, `GRANT ROLE`).
const VERSION: &str = "SELECT pg_catalog.version()";

/// The groups a user is in (`pg_group`, Redshift's user groups).
const GROUPS: &str = "\
SELECT g.groname
  FROM pg_catalog.pg_group g, pg_catalog.pg_user u
 WHERE u.usename = $1 AND u.usesysid = ANY (g.grolist)
 ORDER BY 1";

/// The roles granted to a user (Redshift only).
const ROLES: &str = "\
SELECT r.role_name
  FROM pg_catalog.svv_user_grants r
 WHERE r.user_name = $1
 ORDER BY 1";

/// The database privileges AWS's function copies, on every database but the templates.
const DATABASE_PRIVILEGES: &str = "\
SELECT d.datname,
       pg_catalog.has_database_privilege(u.usename, d.datname, 'CREATE'),
       pg_catalog.has_database_privilege(u.usename, d.datname, 'TEMP')
  FROM pg_catalog.pg_database d, pg_catalog.pg_user u
 WHERE u.usename = $1 AND d.datname NOT IN ('template0', 'template1', 'padb_harvest')
 ORDER BY 1";

/// The schema privileges AWS's function copies, on every schema but the system's.
const SCHEMA_PRIVILEGES: &str = "\
SELECT n.nspname,
       pg_catalog.has_schema_privilege(u.usename, n.nspname, 'CREATE'),
       pg_catalog.has_schema_privilege(u.usename, n.nspname, 'USAGE')
  FROM pg_catalog.pg_namespace n, pg_catalog.pg_user u
 WHERE u.usename = $1
   AND pg_catalog.substr(n.nspname, 1, 3) <> 'pg_' AND n.nspname <> 'information_schema'
 ORDER BY 1";

/// The table privileges AWS's function copies, on every table outside the system's schemas.
const TABLE_PRIVILEGES: &str = "\
SELECT q.schemaname, q.tablename,
       pg_catalog.has_table_privilege(u.usename, q.name, 'SELECT'),
       pg_catalog.has_table_privilege(u.usename, q.name, 'INSERT'),
       pg_catalog.has_table_privilege(u.usename, q.name, 'UPDATE'),
       pg_catalog.has_table_privilege(u.usename, q.name, 'DELETE'),
       pg_catalog.has_table_privilege(u.usename, q.name, 'REFERENCES')
  FROM (SELECT t.schemaname, t.tablename,
               pg_catalog.quote_ident(t.schemaname) || '.' || pg_catalog.quote_ident(t.tablename) AS name
          FROM pg_catalog.pg_tables t
         WHERE pg_catalog.substr(t.schemaname, 1, 3) <> 'pg_'
           AND t.schemaname <> 'information_schema') q,
       pg_catalog.pg_user u
 WHERE u.usename = $1
 ORDER BY 1, 2";

/// The privileges copied of each kind, in the order of their query's columns.
const DATABASE_KINDS: [&str; 2] = ["CREATE", "TEMP"];
const SCHEMA_KINDS: [&str; 2] = ["CREATE", "USAGE"];
const TABLE_KINDS: [&str; 5] = ["SELECT", "INSERT", "UPDATE", "DELETE", "REFERENCES"];

/// One user of the pair, as the catalog shows it.
#[derive(Debug)]
struct UserInfo {
    name: String,
    superuser: bool,
    create_db: bool,
}

/// Gives `pending` (one of `pair`) its password, creating the clone first when it does not
/// exist.
///
/// An existing pending user is changed only when this secret already holds a working credential
/// for it: AWSPREVIOUS, on AWSPENDING's own connection, logs in as it (the healthy case: the
/// alternate's password from two rotations ago), or AWSPENDING itself does (a repeat of this
/// step, which then changes nothing). Redshift records no link between two users that only an
/// administrator of the original could create, so possession is the proof: setting the
/// password gives the secret's readers nothing they could not already use.
///
/// Second run: the pending password logs in, so nothing changes.
pub(crate) async fn set_alternate_password(
    ctx: &StepContext<'_>,
    kit: &EngineKit<Redshift>,
    master: &RedshiftSession,
    pending: &DatabaseSecret,
    pair: &UserPair,
) -> Result<(), RotatorError> {
    let users = read_users(master, pair).await?;
    let find = |name: &str| users.iter().find(|user| user.name == name);
    let original = find(&pair.original).ok_or_else(|| missing(&pair.original))?;
    if find(&pending.username).is_some() {
        if prove_possession(ctx, kit, pending).await? {
            tracing::info!(
                secret_id = ctx.secret_id(),
                "the pending password already logs in"
            );
            return Ok(());
        }
        let statement = alter_password(&pending.username, &pending.password);
        master.execute_secret("ALTER USER PASSWORD", &statement).await?;
        tracing::info!(secret_id = ctx.secret_id(), "set the pending user's md5 password");
        return Ok(());
    }
    if pending.username != pair.clone {
        return Err(missing(&pending.username).into());
    }
    if original.superuser {
        return Err(RedshiftError::from(RedshiftFailure::SuperuserOriginal {
            user: original.name.clone(),
        })
        .into());
    }
    create_clone(master, pair, original, &pending.password).await?;
    tracing::info!(secret_id = ctx.secret_id(), "created the alternate user");
    Ok(())
}

fn missing(user: &str) -> RedshiftError {
    RedshiftError::from(RedshiftFailure::UserMissing {
        user: user.to_owned(),
    })
}

async fn read_users(master: &RedshiftSession, pair: &UserPair) -> Result<Vec<UserInfo>, RedshiftError> {
    const OPERATION: &str = "SELECT users";
    let rows = master
        .query(OPERATION, USERS, &[&pair.original, &pair.clone])
        .await?;
    let unexpected = |_| RedshiftError::unexpected(OPERATION, "a row of another shape");
    rows.iter()
        .map(|row| {
            Ok(UserInfo {
                name: row.try_get(0).map_err(unexpected)?,
                superuser: row.try_get(1).map_err(unexpected)?,
                create_db: row.try_get(2).map_err(unexpected)?,
            })
        })
        .collect()
}

/// Whether AWSPENDING already logs in (`true`: nothing to change), after AWSPREVIOUS proved the
/// right to the user; [`RedshiftError::NotOurAlternate`] when neither logs in as it.
async fn prove_possession(
    ctx: &StepContext<'_>,
    kit: &EngineKit<Redshift>,
    pending: &DatabaseSecret,
) -> Result<bool, RotatorError> {
    let previous = match ctx.previous().await? {
        Some(json) => DatabaseSecret::parse(json, &crate::REDSHIFT).ok(),
        None => None,
    };
    // Only a version on AWSPENDING's own connection proves anything: another server would
    // accept whatever its owner likes.
    if let Some(previous) = previous.filter(|previous| check_single_user(previous, pending).is_ok()) {
        match kit.verify_login(&previous, "previous", ctx.deadline()).await {
            Ok(()) => return Ok(false),
            Err(error) if error.is_auth_failure() => {}
            Err(error) => return Err(error.into()),
        }
    }
    match kit.verify_login(pending, "pending", ctx.deadline()).await {
        Ok(()) => Ok(true),
        Err(error) if error.is_auth_failure() => Err(RedshiftError::NotOurAlternate {
            account: format!("user {:?}", pending.username),
            reason: "no stored version of this secret logs in as it",
        }
        .into()),
        Err(error) => Err(error.into()),
    }
}

/// Creates the clone in one transaction: the original's `CREATEDB`, its groups, its roles (on
/// Redshift), and its database, schema and table privileges, as AWS's function copies them.
/// Every statement is built before the first is sent; a failure rolls everything back.
async fn create_clone(
    master: &RedshiftSession,
    pair: &UserPair,
    original: &UserInfo,
    password: &SecretString,
) -> Result<(), RedshiftError> {
    master.execute("BEGIN", "BEGIN").await?;
    let mut statements = Vec::new();
    for group in names(master, "SELECT groups", GROUPS, &pair.original).await? {
        statements.push(add_to_group(&group, &pair.clone));
    }
    if is_redshift(master).await? {
        for role in names(master, "SELECT roles", ROLES, &pair.original).await? {
            statements.push(grant_role(&role, &pair.clone));
        }
    }
    let copies = [
        (
            "SELECT database privileges",
            DATABASE_PRIVILEGES,
            ObjectKind::Database,
            &DATABASE_KINDS[..],
        ),
        (
            "SELECT schema privileges",
            SCHEMA_PRIVILEGES,
            ObjectKind::Schema,
            &SCHEMA_KINDS[..],
        ),
        (
            "SELECT table privileges",
            TABLE_PRIVILEGES,
            ObjectKind::Table,
            &TABLE_KINDS[..],
        ),
    ];
    for (operation, query, kind, privileges) in copies {
        let held = privileges_held(master, operation, query, kind, privileges.len(), &pair.original).await?;
        for (privilege, objects) in privileges.iter().zip(&held) {
            statements.extend(grant_on(privilege, kind, objects, &pair.clone));
        }
    }
    master
        .execute_secret(
            "CREATE USER",
            &create_user(&pair.clone, original.create_db, password),
        )
        .await?;
    for statement in &statements {
        master.execute("GRANT", statement).await?;
    }
    master.execute("COMMIT", "COMMIT").await?;
    tracing::info!(
        copied = statements.len(),
        "copied the original's memberships and privileges"
    );
    Ok(())
}

async fn is_redshift(master: &RedshiftSession) -> Result<bool, RedshiftError> {
    const OPERATION: &str = "SELECT version";
    let version: String = master.query_value(OPERATION, VERSION).await?;
    Ok(version.contains("Redshift"))
}

/// The first column of `query` for `user`, as names.
async fn names(
    master: &RedshiftSession,
    operation: &'static str,
    query: &str,
    user: &str,
) -> Result<Vec<String>, RedshiftError> {
    let rows = master.query(operation, query, &[&user]).await?;
    rows.iter()
        .map(|row| {
            row.try_get(0)
                .map_err(|_| RedshiftError::unexpected(operation, "a row of another shape"))
        })
        .collect()
}

/// For each of `count` privileges (the boolean columns after the object's name), the objects
/// `user` holds it on.
async fn privileges_held(
    master: &RedshiftSession,
    operation: &'static str,
    query: &str,
    kind: ObjectKind,
    count: usize,
    user: &str,
) -> Result<Vec<Vec<Object>>, RedshiftError> {
    let rows = master.query(operation, query, &[&user]).await?;
    let unexpected = |_| RedshiftError::unexpected(operation, "a row of another shape");
    let first = if kind == ObjectKind::Table { 2 } else { 1 };
    let mut held = vec![Vec::new(); count];
    for row in &rows {
        let object = if kind == ObjectKind::Table {
            Object {
                schema: Some(row.try_get(0).map_err(unexpected)?),
                name: row.try_get(1).map_err(unexpected)?,
            }
        } else {
            Object {
                schema: None,
                name: row.try_get(0).map_err(unexpected)?,
            }
        };
        for (index, objects) in held.iter_mut().enumerate() {
            let granted: bool = row.try_get(first + index).map_err(unexpected)?;
            if granted {
                objects.push(object.clone());
            }
        }
    }
    Ok(held)
}
