//! Which server this is (MariaDB or MySQL, and which version), and the syntax each one needs.
//!
//! The version comes from `SELECT VERSION()`, which reads for example `10.11.19-MariaDB-0+deb12u1-log`,
//! `8.0.36`, `8.0.36-28` (Percona), `8.0.mysql_aurora.3.05.2` (Aurora MySQL 3) or `5.7.mysql_aurora.2.11.2`.
//! AWS's functions test `version.startswith("8")`, which sends MySQL 9 and every MariaDB down the wrong path;
//! here the string is parsed, and each syntax choice is a method that names the version it depends on.

use std::fmt;

/// The two server families that speak the MySQL protocol but differ in account syntax.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Flavour {
    /// Oracle MySQL, Percona Server and Aurora MySQL.
    MySql,
    /// MariaDB.
    MariaDb,
}

impl fmt::Display for Flavour {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MySql => "MySQL",
            Self::MariaDb => "MariaDB",
        })
    }
}

/// A parsed `VERSION()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ServerVersion {
    /// MySQL or MariaDB.
    pub flavour: Flavour,
    /// Major version, e.g. `10` or `8`.
    pub major: u16,
    /// Minor version.
    pub minor: u16,
    /// Patch version. For Aurora MySQL, which hides it, the lowest MySQL patch release the Aurora major
    /// version is compatible with (Aurora 3 → 8.0.23, Aurora 2 → 5.7.12, Aurora 1 → 5.6.10).
    pub patch: u16,
}

impl fmt::Display for ServerVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}.{}.{}", self.flavour, self.major, self.minor, self.patch)
    }
}

/// `VERSION()` could not be understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the server version {0:?} is not a MySQL or MariaDB version")]
pub(crate) struct UnknownVersion(pub String);

impl ServerVersion {
    /// Parses a `VERSION()` string (or a handshake version, which MariaDB prefixes with `5.5.5-`).
    pub(crate) fn parse(text: &str) -> Result<Self, UnknownVersion> {
        let unknown = || UnknownVersion(text.chars().take(64).collect());
        let flavour = if text.to_ascii_lowercase().contains("mariadb") {
            Flavour::MariaDb
        } else {
            Flavour::MySql
        };
        // MariaDB servers announce "5.5.5-10.11.19-MariaDB" in the handshake for old clients' sake.
        let text = match flavour {
            Flavour::MariaDb => text.strip_prefix("5.5.5-").unwrap_or(text),
            Flavour::MySql => text,
        };
        let mut parts = text.split(['.', '-']);
        let major = parts.next().and_then(leading_number).ok_or_else(unknown)?;
        let minor = parts.next().and_then(leading_number).ok_or_else(unknown)?;
        let third = parts.next().unwrap_or("0");
        let patch = match (flavour, third) {
            (Flavour::MySql, "mysql_aurora") => {
                let aurora_major = parts.next().and_then(leading_number).ok_or_else(unknown)?;
                aurora_patch_floor(major, minor, aurora_major)
            }
            _ => leading_number(third).unwrap_or(0),
        };
        Ok(Self {
            flavour,
            major,
            minor,
            patch,
        })
    }

    /// Whether this is at least `major.minor.patch`.
    pub(crate) fn at_least(&self, major: u16, minor: u16, patch: u16) -> bool {
        (self.major, self.minor, self.patch) >= (major, minor, patch)
    }

    /// The longest user name the server stores, in characters: 80 on MariaDB (10.0+), 32 on MySQL 5.7.8+,
    /// 16 before.
    pub(crate) fn max_username_chars(&self) -> usize {
        match self.flavour {
            Flavour::MariaDb => 80,
            Flavour::MySql if self.at_least(5, 7, 8) => 32,
            Flavour::MySql => 16,
        }
    }

    /// Whether `ALTER USER … IDENTIFIED …` exists (MariaDB 10.2, MySQL 5.7.6). Older servers are refused:
    /// they are out of support, and the alternating rotator relies on `ALTER USER`.
    pub(crate) fn supports_alter_user(&self) -> bool {
        match self.flavour {
            Flavour::MariaDb => self.at_least(10, 2, 0),
            Flavour::MySql => self.at_least(5, 7, 6),
        }
    }

    /// Whether `RETAIN CURRENT PASSWORD` and `DISCARD OLD PASSWORD` exist (MySQL 8.0.14; not MariaDB).
    pub(crate) fn supports_dual_password(&self) -> bool {
        self.flavour == Flavour::MySql && self.at_least(8, 0, 14)
    }

    /// Whether `ALTER USER` for one's own account accepts `REPLACE '<current password>'` (MySQL 8.0.13),
    /// which accounts with `PASSWORD REQUIRE CURRENT` need.
    pub(crate) fn supports_replace_clause(&self) -> bool {
        self.flavour == Flavour::MySql && self.at_least(8, 0, 13)
    }

    /// Whether roles exist and `SHOW GRANTS` lists role grants: MariaDB 10.0.5, MySQL 8.0.
    pub(crate) fn supports_roles(&self) -> bool {
        match self.flavour {
            Flavour::MariaDb => self.at_least(10, 0, 5),
            Flavour::MySql => self.at_least(8, 0, 0),
        }
    }

    /// The keyword between the roles and the account in `SET DEFAULT ROLE`: `FOR` on MariaDB, `TO` on
    /// MySQL.
    pub(crate) fn default_role_keyword(&self) -> &'static str {
        match self.flavour {
            Flavour::MariaDb => "FOR",
            Flavour::MySql => "TO",
        }
    }
}

/// The digits at the start of `part` ("19" of "19-MariaDB", "10" of "10a").
fn leading_number(part: &str) -> Option<u16> {
    let digits: &str = &part[..part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len())];
    digits.parse().ok()
}

/// Aurora MySQL reports `<mysql major>.<mysql minor>.mysql_aurora.<aurora version>` and no MySQL patch
/// release; each Aurora major line is compatible with at least this MySQL release.
fn aurora_patch_floor(major: u16, minor: u16, aurora_major: u16) -> u16 {
    match (major, minor, aurora_major) {
        (8, 0, _) => 23,
        (5, 7, _) => 12,
        (5, 6, _) => 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ServerVersion {
        ServerVersion::parse(text).unwrap()
    }

    #[test]
    fn versions_of_every_flavour_parse() {
        let cases = [
            ("10.11.19-MariaDB-0+deb12u1-log", Flavour::MariaDb, (10, 11, 19)),
            ("5.5.5-10.11.19-MariaDB", Flavour::MariaDb, (10, 11, 19)),
            ("11.4.2-MariaDB-ubu2404", Flavour::MariaDb, (11, 4, 2)),
            ("10.6.16-MariaDB-log", Flavour::MariaDb, (10, 6, 16)),
            ("8.0.36", Flavour::MySql, (8, 0, 36)),
            ("8.0.36-28", Flavour::MySql, (8, 0, 36)),
            ("8.4.0-log", Flavour::MySql, (8, 4, 0)),
            ("9.1.0", Flavour::MySql, (9, 1, 0)),
            ("8.0.mysql_aurora.3.05.2", Flavour::MySql, (8, 0, 23)),
            ("5.7.mysql_aurora.2.11.2", Flavour::MySql, (5, 7, 12)),
            ("5.6.10a", Flavour::MySql, (5, 6, 10)),
            ("5.7.44-log", Flavour::MySql, (5, 7, 44)),
        ];
        for (text, flavour, (major, minor, patch)) in cases {
            assert_eq!(
                parse(text),
                ServerVersion {
                    flavour,
                    major,
                    minor,
                    patch
                },
                "{text}"
            );
        }
    }

    #[test]
    fn garbage_is_refused_without_echoing_much() {
        assert!(ServerVersion::parse("").is_err());
        assert!(ServerVersion::parse("MariaDB").is_err());
        let long = ServerVersion::parse(&"x".repeat(500)).unwrap_err();
        assert!(long.0.len() <= 64);
    }

    #[test]
    fn syntax_choices_follow_the_version_not_its_first_digit() {
        let mariadb = parse("10.11.19-MariaDB");
        assert!(!mariadb.supports_dual_password(), "MariaDB has no dual passwords");
        assert_eq!(mariadb.max_username_chars(), 80);
        assert_eq!(mariadb.default_role_keyword(), "FOR");
        assert!(mariadb.supports_alter_user());
        assert!(!parse("10.1.48-MariaDB").supports_alter_user());

        let mysql = parse("8.0.36");
        assert!(mysql.supports_dual_password());
        assert!(mysql.supports_replace_clause());
        assert_eq!(mysql.max_username_chars(), 32);
        assert_eq!(mysql.default_role_keyword(), "TO");
        assert!(!parse("8.0.13").supports_dual_password());
        assert!(parse("8.0.14").supports_dual_password());
        assert!(parse("9.1.0").supports_dual_password(), "MySQL 9 is not MySQL 5");
        assert!(parse("8.0.mysql_aurora.3.05.2").supports_dual_password());
        assert!(!parse("5.7.mysql_aurora.2.11.2").supports_dual_password());
        assert!(parse("5.7.mysql_aurora.2.11.2").supports_alter_user());
        assert!(!parse("5.6.51").supports_alter_user());
        assert_eq!(parse("5.6.51").max_username_chars(), 16);
    }
}
