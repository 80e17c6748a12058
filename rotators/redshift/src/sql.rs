//! Statement text. Redshift's utility statements take no bind parameters, so names are quoted
//! here with rotor-postgres's quoting (Redshift's rules are PostgreSQL's). Passwords never appear
//! in a statement: Redshift accepts the md5 hash `md5` + hex(md5(password ‖ user name)) wherever
//! it accepts a password, so the plaintext cannot reach `STL_QUERY`, `SVL_STATEMENTTEXT` or an
//! audit log.

use rotor_postgres::sql::{SecretStatement, quote_identifier};
use secrecy::{ExposeSecret, SecretString};

/// `'md5<hex>'`: the hash Redshift stores for `password` of `user`. The user name is the salt,
/// so the hash logs in only as that user.
fn md5_literal(user: &str, password: &SecretString) -> String {
    let hash = postgres_protocol::password::md5(password.expose_secret().as_bytes(), user);
    format!("'{hash}'")
}

/// `ALTER USER "user" PASSWORD 'md5…'`.
pub(crate) fn alter_password(user: &str, password: &SecretString) -> SecretStatement {
    SecretStatement::new(SecretString::from(format!(
        "ALTER USER {} PASSWORD {}",
        quote_identifier(user),
        md5_literal(user, password)
    )))
}

/// `CREATE USER "user" PASSWORD 'md5…'`, with `CREATEDB` when the original has it.
pub(crate) fn create_user(user: &str, create_db: bool, password: &SecretString) -> SecretStatement {
    let create_db = if create_db { " CREATEDB" } else { "" };
    SecretStatement::new(SecretString::from(format!(
        "CREATE USER {} PASSWORD {}{create_db}",
        quote_identifier(user),
        md5_literal(user, password)
    )))
}

/// `ALTER GROUP "group" ADD USER "user"`.
pub(crate) fn add_to_group(group: &str, user: &str) -> String {
    format!(
        "ALTER GROUP {} ADD USER {}",
        quote_identifier(group),
        quote_identifier(user)
    )
}

/// `GRANT ROLE "role" TO "user"` (Redshift's role-based access control; PostgreSQL has no
/// `ROLE` keyword here).
pub(crate) fn grant_role(role: &str, user: &str) -> String {
    format!(
        "GRANT ROLE {} TO {}",
        quote_identifier(role),
        quote_identifier(user)
    )
}

/// The kind of object a privilege is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectKind {
    /// `ON DATABASE`.
    Database,
    /// `ON SCHEMA`.
    Schema,
    /// `ON TABLE`.
    Table,
}

impl ObjectKind {
    fn keyword(self) -> &'static str {
        match self {
            Self::Database => "DATABASE",
            Self::Schema => "SCHEMA",
            Self::Table => "TABLE",
        }
    }
}

/// An object a privilege is on: a database or schema by name, a table by schema and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    /// The schema of a table; `None` for a database or a schema.
    pub(crate) schema: Option<String>,
    /// Its name.
    pub(crate) name: String,
}

impl Object {
    fn quoted(&self) -> String {
        match &self.schema {
            Some(schema) => format!("{}.{}", quote_identifier(schema), quote_identifier(&self.name)),
            None => quote_identifier(&self.name),
        }
    }
}

/// `GRANT privilege ON kind a, b, … TO "user"`, or `None` for no objects. `privilege` is one of
/// rotor's own keywords (`SELECT`, `USAGE`, …), never text from the server.
pub(crate) fn grant_on(
    privilege: &'static str,
    kind: ObjectKind,
    objects: &[Object],
    user: &str,
) -> Option<String> {
    if objects.is_empty() {
        return None;
    }
    let list: Vec<String> = objects.iter().map(Object::quoted).collect();
    Some(format!(
        "GRANT {privilege} ON {} {} TO {}",
        kind.keyword(),
        list.join(", "),
        quote_identifier(user)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_sent_as_md5_of_password_then_user_name() {
        // `printf 'secretapp' | md5sum`
        let statement = alter_password("app", &SecretString::from("secret"));
        assert_eq!(
            statement.text(),
            "ALTER USER \"app\" PASSWORD 'md56a422f785c9e20873908ce25d1736ae2'"
        );
        let create = create_user("app_clone", true, &SecretString::from("secret"));
        assert!(
            create
                .text()
                .starts_with("CREATE USER \"app_clone\" PASSWORD 'md5")
        );
        assert!(create.text().ends_with("' CREATEDB"));
        assert!(
            !create.text().contains("6a422f785c9e"),
            "the user name is the salt"
        );
        for text in [statement.text(), create.text()] {
            assert!(!text.contains("secret"), "{text}");
        }
        assert!(!format!("{statement:?} {create:?}").contains("md5"));
        assert!(
            !create_user("c", false, &SecretString::from("p"))
                .text()
                .contains("CREATEDB")
        );
    }

    #[test]
    fn hostile_names_stay_one_identifier() {
        assert_eq!(
            add_to_group("g\"; DROP USER x; --", "app_clone"),
            "ALTER GROUP \"g\"\"; DROP USER x; --\" ADD USER \"app_clone\""
        );
        assert_eq!(
            grant_role("analysts", "app_clone"),
            "GRANT ROLE \"analysts\" TO \"app_clone\""
        );
    }

    #[test]
    fn privileges_are_granted_per_kind_on_every_object_at_once() {
        let table = |schema: &str, name: &str| Object {
            schema: Some(schema.into()),
            name: name.into(),
        };
        let schema = |name: &str| Object {
            schema: None,
            name: name.into(),
        };
        assert_eq!(
            grant_on(
                "SELECT",
                ObjectKind::Table,
                &[table("public", "orders"), table("Sales", "a\"b")],
                "app_clone"
            )
            .as_deref(),
            Some("GRANT SELECT ON TABLE \"public\".\"orders\", \"Sales\".\"a\"\"b\" TO \"app_clone\"")
        );
        assert_eq!(
            grant_on("USAGE", ObjectKind::Schema, &[schema("public")], "c").as_deref(),
            Some("GRANT USAGE ON SCHEMA \"public\" TO \"c\"")
        );
        assert_eq!(
            grant_on("TEMP", ObjectKind::Database, &[schema("dev")], "c").as_deref(),
            Some("GRANT TEMP ON DATABASE \"dev\" TO \"c\"")
        );
        assert_eq!(grant_on("CREATE", ObjectKind::Database, &[], "c"), None);
    }
}
