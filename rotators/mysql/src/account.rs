//! Accounts (`'user'@'host'`) and the quoting of names and literals in statement text.
//!
//! `CREATE USER`, `ALTER USER`, `SET PASSWORD`, `GRANT` and `SHOW GRANTS` take no bind parameters, so every
//! name and literal is quoted here. A string literal needs backslash escapes unless the session's `sql_mode`
//! has `NO_BACKSLASH_ESCAPES`, in which case a backslash is an ordinary character; [`Quoting`] is read from
//! the session, so one code path is right in both modes.

use std::fmt;

/// A MySQL account: a user name and the host pattern it may connect from. The pair, not the user name,
/// identifies an account: `'app'@'10.%'` and `'app'@'%'` are different accounts with different passwords.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Account {
    /// The user name.
    pub user: String,
    /// The host pattern, e.g. `%`, `10.0.%` or `app.example.com`.
    pub host: String,
}

impl Account {
    /// An account from its two parts.
    pub fn new(user: impl Into<String>, host: impl Into<String>) -> Self {
        Self {
            user: user.into(),
            host: host.into(),
        }
    }

    /// Parses `CURRENT_USER()`'s `user@host`. A user name may contain `@`, a host pattern cannot, so the
    /// split is at the last `@`.
    pub fn from_current_user(text: &str) -> Option<Self> {
        let (user, host) = text.rsplit_once('@')?;
        Some(Self::new(user, host))
    }

    /// The same host with another user name: the alternate account of an alternating pair.
    pub fn with_user(&self, user: &str) -> Self {
        Self::new(user, &self.host)
    }
}

impl fmt::Display for Account {
    /// `'user'@'host'` for messages, without escaping (never for SQL: see [`Quoting::account`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'@'{}'", self.user, self.host)
    }
}

/// How string literals must be escaped in one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quoting {
    backslash_escapes: bool,
}

impl Quoting {
    /// The server default: backslashes escape.
    pub const DEFAULT: Self = Self {
        backslash_escapes: true,
    };

    /// The quoting for a session whose `@@sql_mode` is `sql_mode`.
    pub fn for_sql_mode(sql_mode: &str) -> Self {
        let no_backslash_escapes = sql_mode
            .split(',')
            .any(|mode| mode.trim().eq_ignore_ascii_case("NO_BACKSLASH_ESCAPES"));
        Self {
            backslash_escapes: !no_backslash_escapes,
        }
    }

    /// `'text'` with every character that could end or alter the literal escaped.
    ///
    /// Quotes are doubled in both modes. With backslash escapes, `\` is doubled and NUL, CR, LF and Ctrl-Z
    /// are written as escapes so that no byte of `text` can be read as anything but data.
    pub fn literal(&self, text: &str) -> String {
        let mut quoted = String::with_capacity(text.len() + 2);
        quoted.push('\'');
        for character in text.chars() {
            match character {
                '\'' => quoted.push_str("''"),
                '\\' if self.backslash_escapes => quoted.push_str("\\\\"),
                '\0' if self.backslash_escapes => quoted.push_str("\\0"),
                '\n' if self.backslash_escapes => quoted.push_str("\\n"),
                '\r' if self.backslash_escapes => quoted.push_str("\\r"),
                '\u{1a}' if self.backslash_escapes => quoted.push_str("\\Z"),
                other => quoted.push(other),
            }
        }
        quoted.push('\'');
        quoted
    }

    /// `'user'@'host'`, each part a string literal.
    pub fn account(&self, account: &Account) -> String {
        format!("{}@{}", self.literal(&account.user), self.literal(&account.host))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_user_splits_at_the_last_at_sign() {
        assert_eq!(
            Account::from_current_user("app@%"),
            Some(Account::new("app", "%"))
        );
        assert_eq!(
            Account::from_current_user("a@b@10.0.%"),
            Some(Account::new("a@b", "10.0.%"))
        );
        assert_eq!(
            Account::from_current_user("@localhost"),
            Some(Account::new("", "localhost"))
        );
        assert_eq!(Account::from_current_user("no-host"), None);
    }

    #[test]
    fn literals_escape_quotes_and_backslashes_by_mode() {
        let default = Quoting::DEFAULT;
        assert_eq!(default.literal(r"it's a \ test"), r"'it''s a \\ test'");
        assert_eq!(default.literal("nul\0cr\rlf\nz\u{1a}"), r"'nul\0cr\rlf\nz\Z'");
        assert_eq!(
            default.literal("日本; DROP USER x; --"),
            "'日本; DROP USER x; --'"
        );
        let ansi = Quoting::for_sql_mode("STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES");
        assert_eq!(ansi.literal(r"it's a \ test"), r"'it''s a \ test'");
        assert_eq!(
            Quoting::for_sql_mode("STRICT_TRANS_TABLES,ANSI_QUOTES"),
            Quoting::DEFAULT
        );
    }

    #[test]
    fn a_literal_cannot_be_closed_from_inside() {
        for mode in [Quoting::DEFAULT, Quoting::for_sql_mode("NO_BACKSLASH_ESCAPES")] {
            for hostile in [r"\'", r"\\'", "'", r"x\", "''", r"\''"] {
                let quoted = mode.literal(hostile);
                let inner = &quoted[1..quoted.len() - 1];
                // Read the literal back the way the server does and check that it ends exactly at the end.
                let mut chars = inner.chars().peekable();
                let mut decoded = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' if mode == Quoting::DEFAULT => decoded.push(chars.next().unwrap()),
                        '\'' => {
                            assert_eq!(chars.next(), Some('\''), "{hostile:?} closed the literal early");
                            decoded.push('\'');
                        }
                        other => decoded.push(other),
                    }
                }
                assert_eq!(decoded, hostile);
            }
        }
    }

    #[test]
    fn accounts_and_identifiers_are_quoted() {
        let account = Account::new("o'k\\", "10.%");
        assert_eq!(Quoting::DEFAULT.account(&account), r"'o''k\\'@'10.%'");
        assert_eq!(account.with_user("x").host, "10.%");
    }
}
