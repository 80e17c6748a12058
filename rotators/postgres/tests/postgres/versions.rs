//! The version matrix: the key rotations on every PostgreSQL major version CI installs, with an
//! RDS-like master (not a superuser), so PostgreSQL 16's rules for `CREATEROLE` and `ADMIN
//! OPTION` are exercised. The rest of the suite runs on the default server (15).
//!
//! A version is *required* when `ROTOR_TEST_PG_VERSIONS` lists it (`15,17,18`), or, without that
//! variable, on CI (`CI=true`) for 15, 17 and 18. A required version that is not installed fails
//! its tests; any other missing version skips them with a message on stderr.

use rotor_testkit::{PostgresOptions, postgres_installations};

use super::support::Db;

/// The variable that names the versions that must be installed.
pub const VERSIONS_ENV: &str = "ROTOR_TEST_PG_VERSIONS";

/// What CI installs (scripts/setup): Debian's 15 and the PyPI wheels of 17 and 18.
const CI_VERSIONS: [u32; 3] = [15, 17, 18];

/// Whether `major` must be installed, by `ROTOR_TEST_PG_VERSIONS` or on CI.
fn required(major: u32) -> bool {
    required_by(
        std::env::var(VERSIONS_ENV).ok().as_deref(),
        std::env::var("CI").ok().as_deref(),
        major,
    )
}

/// [`required`], given the two variables' values.
fn required_by(versions: Option<&str>, ci: Option<&str>, major: u32) -> bool {
    match versions {
        Some(list) => list.split(',').any(|item| item.trim().parse() == Ok(major)),
        None => ci == Some("true") && CI_VERSIONS.contains(&major),
    }
}

#[test]
fn ci_requires_15_17_and_18_unless_the_variable_says_otherwise() {
    assert!(required_by(None, Some("true"), 17));
    assert!(required_by(None, Some("true"), 18));
    assert!(!required_by(None, Some("true"), 16));
    assert!(
        !required_by(None, None, 17),
        "a developer machine skips what it lacks"
    );
    assert!(required_by(Some("15, 16"), None, 16));
    assert!(!required_by(Some("15,17"), Some("true"), 18), "the variable wins");
}

/// A server of `major` with `options`; `None` (and a note on stderr) when that version is not
/// installed and not required. Panics when a required version is missing, or lacks TLS that
/// `tls` asks for.
#[expect(
    clippy::print_stderr,
    reason = "a skipped version must be visible in the test output"
)]
pub async fn start(major: u32, options: PostgresOptions, tls: bool) -> Option<Db> {
    let installed = postgres_installations()
        .into_iter()
        .find(|installation| installation.major() == major);
    match installed {
        Some(installation) if !tls || installation.supports_tls() => {}
        _ if required(major) => panic!(
            "PostgreSQL {major}{} is required ({VERSIONS_ENV} or CI=true) but not installed; run scripts/setup",
            if tls { " with TLS" } else { "" }
        ),
        _ => {
            eprintln!("SKIPPED: PostgreSQL {major} is not installed (scripts/setup installs it)");
            return None;
        }
    }
    Some(Db::start_with(options.major(major).tls(tls)).await)
}

/// One `#[tokio::test]` per scenario, each running `path::scenario(major)`.
macro_rules! on_version {
    ($major:literal: $($path:ident :: $scenario:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $scenario() {
                super::super::$path::$scenario($major).await;
            }
        )+
    };
}

/// PostgreSQL 15, Debian's: every scenario (the rest of the suite runs on it too).
pub mod pg15 {
    on_version!(15:
        single_user::single_user_rotation_changes_the_password_without_failed_logins_or_plaintext,
        alternating::alternating_rotation_creates_the_clone_and_both_users_work,
        alternating::an_existing_role_that_is_not_provably_the_clone_is_never_taken_over,
        rds_master::an_original_the_master_did_not_create_is_refused_before_any_change,
        rds_master::a_group_the_master_cannot_grant_is_refused_before_any_change,
        rds_master::a_clone_the_master_did_not_create_is_refused_before_any_change,
        rds_master::a_refusal_after_create_role_rolls_the_clone_back,
        rds_master::a_master_without_createrole_fails_the_configuration_test,
        crash::alternating_users_converge_after_a_crash_at_every_database_operation,
        md5::md5_servers_keep_md5_verifiers_for_both_rotators,
        tls::rotations_run_over_verified_tls_with_the_secrets_ca_bundle,
    );
}

/// PostgreSQL 17 (16's rules for CREATEROLE and ADMIN OPTION), with TLS.
pub mod pg17 {
    on_version!(17:
        single_user::single_user_rotation_changes_the_password_without_failed_logins_or_plaintext,
        alternating::alternating_rotation_creates_the_clone_and_both_users_work,
        alternating::an_existing_role_that_is_not_provably_the_clone_is_never_taken_over,
        rds_master::an_original_the_master_did_not_create_is_refused_before_any_change,
        rds_master::a_group_the_master_cannot_grant_is_refused_before_any_change,
        rds_master::a_clone_the_master_did_not_create_is_refused_before_any_change,
        rds_master::a_refusal_after_create_role_rolls_the_clone_back,
        rds_master::a_master_without_createrole_fails_the_configuration_test,
        crash::alternating_users_converge_after_a_crash_at_every_database_operation,
        md5::md5_servers_keep_md5_verifiers_for_both_rotators,
        tls::rotations_run_over_verified_tls_with_the_secrets_ca_bundle,
    );
}

/// PostgreSQL 18, built without OpenSSL: everything but TLS.
pub mod pg18 {
    on_version!(18:
        single_user::single_user_rotation_changes_the_password_without_failed_logins_or_plaintext,
        alternating::alternating_rotation_creates_the_clone_and_both_users_work,
        alternating::an_existing_role_that_is_not_provably_the_clone_is_never_taken_over,
        rds_master::an_original_the_master_did_not_create_is_refused_before_any_change,
        rds_master::a_group_the_master_cannot_grant_is_refused_before_any_change,
        rds_master::a_clone_the_master_did_not_create_is_refused_before_any_change,
        rds_master::a_refusal_after_create_role_rolls_the_clone_back,
        rds_master::a_master_without_createrole_fails_the_configuration_test,
        crash::alternating_users_converge_after_a_crash_at_every_database_operation,
        md5::md5_servers_keep_md5_verifiers_for_both_rotators,
    );
}
