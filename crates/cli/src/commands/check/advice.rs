//! What to do when a check fails, by the check and, for logins, by what the server said.

use super::preflight::{Check, LoginCause};

/// What to do about `check` failing for `secret` (named as the user knows it), given what a
/// failed login said, the `--rotator` and whether the store is the local file.
pub(super) fn what_to_do(
    check: Check,
    cause: Option<LoginCause>,
    secret: &str,
    rotator: &str,
    local: bool,
) -> String {
    match (check, cause) {
        (Check::Readable, _) if local => {
            "Check the name: `rotor secret list` shows the local store's secrets.".to_owned()
        }
        (Check::Readable, _) => "Check the name or ARN, the region and secretsmanager:DescribeSecret \
             and GetSecretValue (plus kms:Decrypt for a customer managed key)."
            .to_owned(),
        (Check::RotationEnabled, _) if local => {
            format!("Turn rotation on: rotor secret rotation {secret} on")
        }
        (Check::RotationEnabled, _) => {
            "Configuring rotation with the new function (RotateSecret) turns it on.".to_owned()
        }
        (Check::NoRotationInProgress, _) => format!(
            "Finish that rotation (rotor rotate {secret} --rotator {rotator} --resume) or abandon it \
             (rotor cancel {secret}) first."
        ),
        (Check::Parses, _) => format!(
            "Fix the field the message names in AWSCURRENT, or use the --rotator that matches the secret \
             (`rotor rotators` lists them; this is {rotator})."
        ),
        (Check::MasterArn, _) => "Add \"masterarn\" to AWSCURRENT: the ARN of the secret of the user \
             that manages name and name_clone."
            .to_owned(),
        (Check::CloneName, _) => "Shorten the user name, or raise USERNAME_CHARACTER_LIMIT up to the \
             engine's own limit (the message names the limit)."
            .to_owned(),
        (Check::Tls, Some(LoginCause::TlsUnavailable)) => {
            "Turn TLS on in the server, or set \"ssl\": false in the secret to allow plaintext.".to_owned()
        }
        (Check::Tls, _) => "Trust the server's CA with \"ssl_ca\" in the secret or ROTOR_CA_BUNDLE (a PEM \
             path or inline PEM), and connect by a host name the certificate names."
            .to_owned(),
        (Check::Login, Some(LoginCause::Refused)) => format!(
            "AWSCURRENT's password does not log in: give the database user that password, or store the \
             working one as AWSCURRENT. `rotor status {secret} --show-secret` shows the versions."
        ),
        (Check::Login | Check::MasterLogin, Some(LoginCause::Unreachable)) => "Check host, port and the \
             network path; a database in a private subnet is reachable only by the deployed function."
            .to_owned(),
        (Check::MasterSecret, _) => "Check that masterarn names a readable secret of the same server \
             (host and port), or an RDS-managed one tagged with its instance or cluster."
            .to_owned(),
        (Check::MasterLogin, Some(LoginCause::TlsUnverified | LoginCause::TlsUnavailable)) => {
            "Make the master secret's TLS verifiable (its own ssl and ssl_ca apply).".to_owned()
        }
        (Check::MasterLogin, _) => "The master secret's password does not log in: fix the master \
             secret's AWSCURRENT (or finish the master's own rotation)."
            .to_owned(),
        (Check::MasterPrivileges, _) => "Give the master what the message names (PostgreSQL 16 and \
             later: GRANT name TO master WITH ADMIN OPTION, INHERIT FALSE, SET FALSE), or use a master \
             that created the users."
            .to_owned(),
        (Check::Password, _) => "Fix PASSWORD_LENGTH, EXCLUDE_CHARACTERS and the EXCLUDE_* / \
             REQUIRE_EACH_INCLUDED_TYPE variables so that a password can be made."
            .to_owned(),
        (Check::RotationFunction, _) => format!(
            "Configure rotation with the deployed function's ARN (RotateSecret with RotationLambdaARN), or \
             check here: rotor check {secret} --rotator <name>."
        ),
        (Check::DeployedTest, _) => format!(
            "Read the rotation function's logs (testSecret's error is there); `rotor check {secret} --rotator \
             <name>` runs the same checks from here with more detail."
        ),
        (Check::Login | Check::ConfigurationTest, _) => {
            format!("See the message; `rotor rotate {secret} --rotator {rotator}` would stop here too.")
        }
    }
}
