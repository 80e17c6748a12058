//! Which store a command uses, by an explicit rule that the command prints.
//!
//! AWS is chosen by intent only: `--store aws`, `--endpoint-url`, or credentials that are
//! configured. Settings that merely shape AWS calls (`AWS_REGION`, `AWS_DEFAULT_REGION`,
//! `AWS_CA_BUNDLE`, `AWS_ENDPOINT_URL`, a `~/.aws/config` that only sets a region, …) are common
//! in shells that never meant to talk to AWS, so they never choose it on their own.

use std::path::{Path, PathBuf};

use crate::cli::{StoreArgs, StoreKind};

/// Variables that configure credentials for the default chain: access keys, a profile, web
/// identity (EKS, CI), and the ECS/EKS container endpoints.
pub(crate) const CREDENTIAL_VARIABLES: [&str; 5] = [
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
];

/// Keys of a config-file profile that make it a source of credentials (keys, an assumed role,
/// an external process, web identity, IAM Identity Center, `aws login`). A profile with only
/// `region` or `output` configures settings, not credentials.
const CREDENTIAL_KEYS: [&str; 10] = [
    "aws_access_key_id",
    "role_arn",
    "credential_process",
    "credential_source",
    "source_profile",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "login_session",
];

/// The store chosen and the reason, for the user to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    /// Local or AWS.
    pub(crate) kind: StoreKind,
    /// Why, in words.
    pub(crate) reason: String,
}

/// What configures credentials, found in the environment and the AWS files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CredentialSource {
    /// One of [`CREDENTIAL_VARIABLES`] is set.
    Variable(&'static str),
    /// The shared credentials file has content.
    CredentialsFile(PathBuf),
    /// The config file sets this credential key in some profile.
    ConfigFile(PathBuf, &'static str),
}

/// What the rule looks at, so that tests can supply it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Environment {
    /// The first source of credentials found, if any.
    pub(crate) credentials: Option<CredentialSource>,
    /// The other `AWS_*` variables that are set: settings, named in the reason so the user
    /// sees that they were seen and did not choose AWS.
    pub(crate) settings: Vec<String>,
}

impl Environment {
    /// Reads the process environment and the AWS files (`$AWS_SHARED_CREDENTIALS_FILE` or
    /// `~/.aws/credentials`, `$AWS_CONFIG_FILE` or `~/.aws/config`).
    pub(crate) fn current() -> Self {
        let variable = |name: &str| std::env::var_os(name).filter(|value| !value.is_empty());
        let home = variable("HOME").map(PathBuf::from);
        let file = |override_variable: &str, default: &str| {
            variable(override_variable)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|home| home.join(default)))
        };
        let credentials_file = file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
        let config_file = file("AWS_CONFIG_FILE", ".aws/config");
        let mut settings: Vec<String> = std::env::vars_os()
            .filter(|(_, value)| !value.is_empty())
            .filter_map(|(name, _)| name.into_string().ok())
            .filter(|name| name.starts_with("AWS_") && !CREDENTIAL_VARIABLES.contains(&name.as_str()))
            .collect();
        settings.sort();
        Self {
            credentials: find_credentials(
                |name| variable(name).is_some(),
                credentials_file.as_deref(),
                config_file.as_deref(),
            ),
            settings,
        }
    }
}

/// The first configured source of credentials, in the default chain's order.
fn find_credentials(
    is_set: impl Fn(&str) -> bool,
    credentials_file: Option<&Path>,
    config_file: Option<&Path>,
) -> Option<CredentialSource> {
    if let Some(name) = CREDENTIAL_VARIABLES.into_iter().find(|name| is_set(name)) {
        return Some(CredentialSource::Variable(name));
    }
    let read = |path: &Path| std::fs::read_to_string(path).ok();
    if let Some(path) = credentials_file
        && read(path).is_some_and(|text| has_content(&text))
    {
        return Some(CredentialSource::CredentialsFile(path.to_owned()));
    }
    let path = config_file?;
    let key = credential_key(&read(path)?)?;
    Some(CredentialSource::ConfigFile(path.to_owned(), key))
}

/// Whether an INI file holds anything but blank lines and comments.
fn has_content(text: &str) -> bool {
    text.lines()
        .map(str::trim)
        .any(|line| !line.is_empty() && !line.starts_with('#') && !line.starts_with(';'))
}

/// The first credential key a config file sets, in any profile.
fn credential_key(text: &str) -> Option<&'static str> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once('=')?;
        let key = key.trim();
        let known = CREDENTIAL_KEYS
            .into_iter()
            .find(|known| known.eq_ignore_ascii_case(key))?;
        (!value.trim().is_empty()).then_some(known)
    })
}

/// The rule, in order:
/// 1. `--store local|aws` decides;
/// 2. `--endpoint-url` means AWS (an endpoint is a Secrets Manager service);
/// 3. configured credentials mean AWS: a variable of [`CREDENTIAL_VARIABLES`], a credentials
///    file with content, or a config file that sets a credential key;
/// 4. otherwise the local store, whatever other `AWS_*` settings are set.
pub(crate) fn choose(args: &StoreArgs, environment: &Environment) -> Choice {
    let aws = |reason: String| Choice {
        kind: StoreKind::Aws,
        reason,
    };
    if let Some(kind) = args.store {
        let name = match kind {
            StoreKind::Local => "local",
            StoreKind::Aws => "aws",
        };
        return Choice {
            kind,
            reason: format!("--store {name}"),
        };
    }
    if args.endpoint_url.is_some() {
        return aws("--endpoint-url is given".to_owned());
    }
    match &environment.credentials {
        Some(CredentialSource::Variable(name)) => {
            return aws(format!("AWS credentials configured: ${name} is set"));
        }
        Some(CredentialSource::CredentialsFile(path)) => {
            return aws(format!("AWS credentials configured: {}", path.display()));
        }
        Some(CredentialSource::ConfigFile(path, key)) => {
            return aws(format!(
                "AWS credentials configured: {} sets {key}",
                path.display()
            ));
        }
        None => {}
    }
    let seen = match environment.settings.as_slice() {
        [] => String::new(),
        settings => {
            let names: Vec<String> = settings.iter().map(|name| format!("${name}")).collect();
            format!("; {} alone does not choose AWS", names.join(", "))
        }
    };
    Choice {
        kind: StoreKind::Local,
        reason: format!("no AWS credentials configured{seen}; --store aws uses AWS"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(store: Option<StoreKind>, endpoint: Option<&str>) -> StoreArgs {
        StoreArgs {
            store,
            endpoint_url: endpoint.map(str::to_owned),
            store_file: PathBuf::from(".rotor/store.json"),
        }
    }

    fn with(credentials: CredentialSource) -> Environment {
        Environment {
            credentials: Some(credentials),
            settings: Vec::new(),
        }
    }

    #[test]
    fn settings_alone_leave_the_local_store_and_are_named() {
        let settings = Environment {
            credentials: None,
            settings: vec!["AWS_CA_BUNDLE".into(), "AWS_REGION".into()],
        };
        let chosen = choose(&args(None, None), &settings);
        assert_eq!(chosen.kind, StoreKind::Local);
        assert_eq!(
            chosen.reason,
            "no AWS credentials configured; $AWS_CA_BUNDLE, $AWS_REGION alone does not choose AWS; \
             --store aws uses AWS"
        );
        let nothing = choose(&args(None, None), &Environment::default());
        assert_eq!(
            nothing.reason,
            "no AWS credentials configured; --store aws uses AWS"
        );
    }

    #[test]
    fn configured_credentials_choose_aws_and_say_where_they_are() {
        let variable = choose(
            &args(None, None),
            &with(CredentialSource::Variable("AWS_PROFILE")),
        );
        assert_eq!(
            (variable.kind, variable.reason.as_str()),
            (StoreKind::Aws, "AWS credentials configured: $AWS_PROFILE is set")
        );
        let file = CredentialSource::CredentialsFile(PathBuf::from("/home/u/.aws/credentials"));
        assert_eq!(
            choose(&args(None, None), &with(file)).reason,
            "AWS credentials configured: /home/u/.aws/credentials"
        );
        let sso = CredentialSource::ConfigFile(PathBuf::from("/home/u/.aws/config"), "sso_session");
        assert_eq!(
            choose(&args(None, None), &with(sso)).reason,
            "AWS credentials configured: /home/u/.aws/config sets sso_session"
        );
    }

    #[test]
    fn flags_override_the_environment() {
        let configured = with(CredentialSource::Variable("AWS_ACCESS_KEY_ID"));
        let forced = choose(&args(Some(StoreKind::Local), None), &configured);
        assert_eq!(
            (forced.kind, forced.reason.as_str()),
            (StoreKind::Local, "--store local")
        );
        let endpoint = choose(
            &args(None, Some("http://127.0.0.1:5000")),
            &Environment::default(),
        );
        assert_eq!(endpoint.kind, StoreKind::Aws);
    }

    #[test]
    fn a_config_file_counts_only_when_it_configures_credentials() {
        assert_eq!(
            credential_key("[default]\nregion = eu-west-1\noutput = json\n"),
            None
        );
        assert_eq!(
            credential_key("[profile dev]\nregion = eu-west-1\nsso_session = corp\n"),
            Some("sso_session")
        );
        assert_eq!(
            credential_key("[profile ci]\nROLE_ARN = arn:aws:iam::1:role/ci"),
            Some("role_arn")
        );
        assert_eq!(
            credential_key("[profile x]\nrole_arn =\n"),
            None,
            "an empty value configures nothing"
        );
        assert!(!has_content("\n  # a comment\n; another\n"));
        assert!(has_content("[default]\n"));
    }
}
