//! Statement text: quoting, password clauses, and role settings.
//!
//! `CREATE ROLE`, `ALTER ROLE` and `GRANT` take no bind parameters, so names and literals are
//! quoted here with `postgres-protocol`'s escaping, which matches libpq's. Passwords never appear
//! in a statement: the client computes the verifier (SCRAM-SHA-256 or md5) and sends only that, so the
//! plaintext cannot reach the server's statement log, `pg_stat_statements` or an audit trail.

use postgres_protocol::escape::{escape_identifier, escape_literal};
use secrecy::{ExposeSecret, SecretString};

pub(crate) use crate::verifier::{PasswordEncryption, Verifier};

/// A statement that carries a verifier. `Debug` is redacted; only the session sends the text
/// ([`Session::execute_secret`](crate::Session::execute_secret)).
pub struct SecretStatement(SecretString);

impl std::fmt::Debug for SecretStatement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretStatement([REDACTED])")
    }
}

impl SecretStatement {
    /// A statement whose text holds a verifier or hash.
    pub fn new(text: SecretString) -> Self {
        Self(text)
    }

    /// The statement text, for the driver only.
    pub fn text(&self) -> &str {
        self.0.expose_secret()
    }
}

/// `"name"`, with embedded double quotes doubled: safe for any role name without NUL.
pub fn quote_identifier(name: &str) -> String {
    escape_identifier(name)
}

/// `'text'`, with quotes doubled (and `E''` syntax when the text holds backslashes).
pub fn quote_literal(text: &str) -> String {
    escape_literal(text)
}

/// `ALTER ROLE "role" PASSWORD '<verifier>'`.
pub(crate) fn alter_password(role: &str, verifier: &Verifier) -> SecretStatement {
    SecretStatement(SecretString::from(format!(
        "ALTER ROLE {} {}",
        quote_identifier(role),
        verifier.password_clause()
    )))
}

/// The login attributes a new alternate role copies from the original.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct RoleAttributes {
    /// `SUPERUSER`.
    pub(crate) superuser: bool,
    /// `INHERIT` (PostgreSQL's default).
    pub(crate) inherit: bool,
    /// `CREATEROLE`.
    pub(crate) create_role: bool,
    /// `CREATEDB`.
    pub(crate) create_db: bool,
    /// `REPLICATION`.
    pub(crate) replication: bool,
    /// `BYPASSRLS`.
    pub(crate) bypass_rls: bool,
    /// `CONNECTION LIMIT`, -1 for none.
    pub(crate) connection_limit: i32,
    /// `VALID UNTIL`, as the server printed it in this session.
    pub(crate) valid_until: Option<String>,
}

impl RoleAttributes {
    /// Whether these attributes grant something `other`'s do not: a role that could escalate
    /// the privileges of whoever receives its password.
    pub(crate) fn exceed(&self, other: &RoleAttributes) -> bool {
        (self.superuser && !other.superuser)
            || (self.create_role && !other.create_role)
            || (self.create_db && !other.create_db)
            || (self.replication && !other.replication)
            || (self.bypass_rls && !other.bypass_rls)
    }
}

/// `CREATE ROLE "role" WITH LOGIN <attributes> PASSWORD '<verifier>'`. Only attributes that
/// differ from PostgreSQL's defaults are spelled out, so a master without superuser rights can
/// copy an ordinary role.
pub(crate) fn create_role(role: &str, attributes: &RoleAttributes, verifier: &Verifier) -> SecretStatement {
    let mut text = format!("CREATE ROLE {} WITH LOGIN", quote_identifier(role));
    let flags = [
        (attributes.superuser, " SUPERUSER"),
        (!attributes.inherit, " NOINHERIT"),
        (attributes.create_role, " CREATEROLE"),
        (attributes.create_db, " CREATEDB"),
        (attributes.replication, " REPLICATION"),
        (attributes.bypass_rls, " BYPASSRLS"),
    ];
    for (set, keyword) in flags {
        if set {
            text.push_str(keyword);
        }
    }
    if attributes.connection_limit != -1 {
        text.push_str(&format!(" CONNECTION LIMIT {}", attributes.connection_limit));
    }
    if let Some(valid_until) = &attributes.valid_until {
        text.push_str(&format!(" VALID UNTIL {}", quote_literal(valid_until)));
    }
    text.push(' ');
    text.push_str(&verifier.password_clause());
    SecretStatement(SecretString::from(text))
}

/// `GRANT "group" TO "member"`, optionally `WITH ADMIN OPTION`.
pub(crate) fn grant_role(group: &str, member: &str, admin: bool) -> String {
    let admin = if admin { " WITH ADMIN OPTION" } else { "" };
    format!(
        "GRANT {} TO {}{admin}",
        quote_identifier(group),
        quote_identifier(member)
    )
}

/// How a role is a member of a group: the options of `pg_auth_members`, combined over every
/// grantor's grant. `inherit` and `set` exist from PostgreSQL 16 on; `None` before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Membership {
    /// `ADMIN OPTION`: the member may grant the group to others.
    pub(crate) admin: bool,
    /// `INHERIT`: the member has the group's privileges without `SET ROLE`.
    pub(crate) inherit: Option<bool>,
    /// `SET`: the member may `SET ROLE` to the group.
    pub(crate) set: Option<bool>,
}

/// `GRANT "group" TO "member"` with the options of `membership`: `WITH ADMIN OPTION` alone
/// before PostgreSQL 16, `WITH ADMIN …, INHERIT …, SET …` when the options are known, so the
/// member gets exactly the membership, never more.
pub(crate) fn grant_membership(group: &str, member: &str, membership: &Membership) -> String {
    let grant = format!(
        "GRANT {} TO {}",
        quote_identifier(group),
        quote_identifier(member)
    );
    match (membership.inherit, membership.set) {
        (Some(inherit), Some(set)) => format!(
            "{grant} WITH ADMIN {}, INHERIT {}, SET {}",
            sql_bool(membership.admin),
            sql_bool(inherit),
            sql_bool(set)
        ),
        _ if membership.admin => format!("{grant} WITH ADMIN OPTION"),
        _ => grant,
    }
}

fn sql_bool(value: bool) -> &'static str {
    if value { "TRUE" } else { "FALSE" }
}

/// `COMMENT ON ROLE "role" IS '<text>'`.
pub(crate) fn comment_on_role(role: &str, text: &str) -> String {
    format!(
        "COMMENT ON ROLE {} IS {}",
        quote_identifier(role),
        quote_literal(text)
    )
}

/// Settings whose stored value is a list of possibly double-quoted names; each element must be
/// given back as its own literal (the server's `GUC_LIST_QUOTE` flag).
const LIST_SETTINGS: [&str; 5] = [
    "local_preload_libraries",
    "search_path",
    "session_preload_libraries",
    "shared_preload_libraries",
    "temp_tablespaces",
];

/// `ALTER ROLE "role" [IN DATABASE "db"] SET name TO value`, rebuilt from one
/// `pg_db_role_setting.setconfig` entry (`name=value`). `None` when the entry's name is not a
/// plain (optionally dotted) identifier, which no valid setting has.
pub(crate) fn copy_role_setting(role: &str, database: Option<&str>, entry: &str) -> Option<String> {
    let (name, value) = entry.split_once('=')?;
    let plain = |part: &str| {
        let mut chars = part.chars();
        chars
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
    };
    if !name.split('.').all(plain) {
        return None;
    }
    let values = if LIST_SETTINGS.contains(&name.to_ascii_lowercase().as_str()) {
        split_list(value)
            .iter()
            .map(|item| quote_literal(item))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        quote_literal(value)
    };
    let scope = database
        .map(|db| format!(" IN DATABASE {}", quote_identifier(db)))
        .unwrap_or_default();
    Some(format!(
        "ALTER ROLE {}{scope} SET {name} TO {values}",
        quote_identifier(role)
    ))
}

/// Splits a stored list setting (`"$user", public, "a""b"`) into its elements.
fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut chars = value.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let mut item = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                if c == '"' {
                    if chars.next_if_eq(&'"').is_some() {
                        item.push('"');
                    } else {
                        break;
                    }
                } else {
                    item.push(c);
                }
            }
            while chars.next_if(|c| *c != ',').is_some() {}
        } else {
            while let Some(c) = chars.next_if(|c| *c != ',') {
                item.push(c);
            }
            item.truncate(item.trim_end().len());
        }
        items.push(item);
        if chars.next().is_none() {
            return items;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_with_quotes_and_semicolons_stay_one_identifier() {
        assert_eq!(quote_identifier("app"), "\"app\"");
        assert_eq!(
            quote_identifier("a\"; DROP ROLE x; --"),
            "\"a\"\"; DROP ROLE x; --\""
        );
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("back\\slash"), " E'back\\\\slash'");
    }

    #[test]
    fn statements_carry_a_verifier_and_never_the_password() {
        let password = SecretString::from("correct horse battery staple");
        let verifier = Verifier::of(&password);
        let alter = alter_password("App User", &verifier);
        assert!(
            alter
                .text()
                .starts_with("ALTER ROLE \"App User\" PASSWORD 'SCRAM-SHA-256$4096:")
        );
        assert!(!alter.text().contains("horse"));
        let create = create_role("app_clone", &RoleAttributes::default(), &verifier);
        assert!(create.text().contains("NOINHERIT"));
        assert!(!create.text().contains("horse"));
        assert!(!format!("{verifier:?} {alter:?} {create:?}").contains("SCRAM"));
    }

    #[test]
    fn create_role_spells_out_non_default_attributes() {
        let attributes = RoleAttributes {
            inherit: true,
            create_db: true,
            connection_limit: 5,
            valid_until: Some("2030-01-01 00:00:00+00".into()),
            ..RoleAttributes::default()
        };
        let text = create_role("c", &attributes, &Verifier::of(&SecretString::from("p")))
            .text()
            .to_owned();
        assert!(text.starts_with(
            "CREATE ROLE \"c\" WITH LOGIN CREATEDB CONNECTION LIMIT 5 VALID UNTIL '2030-01-01 00:00:00+00' PASSWORD"
        ));
    }

    #[test]
    fn memberships_are_granted_with_exactly_their_options() {
        let before_16 = Membership {
            admin: true,
            ..Membership::default()
        };
        let from_16 = Membership {
            admin: false,
            inherit: Some(false),
            set: Some(true),
        };

        assert_eq!(
            grant_membership("g", "c", &before_16),
            "GRANT \"g\" TO \"c\" WITH ADMIN OPTION"
        );
        assert_eq!(
            grant_membership("g", "c", &Membership::default()),
            "GRANT \"g\" TO \"c\""
        );
        assert_eq!(
            grant_membership("g", "c", &from_16),
            "GRANT \"g\" TO \"c\" WITH ADMIN FALSE, INHERIT FALSE, SET TRUE"
        );
    }

    #[test]
    fn escalating_attributes_are_detected() {
        let plain = RoleAttributes {
            inherit: true,
            connection_limit: -1,
            ..RoleAttributes::default()
        };
        let superuser = RoleAttributes {
            superuser: true,
            ..plain.clone()
        };
        assert!(superuser.exceed(&plain));
        assert!(!plain.exceed(&superuser));
        assert!(!plain.exceed(&plain));
    }

    #[test]
    fn role_settings_are_rebuilt_with_list_elements_quoted_one_by_one() {
        assert_eq!(
            copy_role_setting("c", None, "search_path=\"$user\", public, \"a\"\"b\"").as_deref(),
            Some("ALTER ROLE \"c\" SET search_path TO '$user', 'public', 'a\"b'")
        );
        assert_eq!(
            copy_role_setting("c", Some("shop"), "statement_timeout=5s").as_deref(),
            Some("ALTER ROLE \"c\" IN DATABASE \"shop\" SET statement_timeout TO '5s'")
        );
        assert_eq!(
            copy_role_setting("c", None, "myapp.tenant=o'brien").as_deref(),
            Some("ALTER ROLE \"c\" SET myapp.tenant TO 'o''brien'")
        );
        assert_eq!(copy_role_setting("c", None, "bad name;=x"), None);
        assert_eq!(copy_role_setting("c", None, "novalue"), None);
        assert_eq!(split_list("\"\""), vec![String::new()]);
    }
}
