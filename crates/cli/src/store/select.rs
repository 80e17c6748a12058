//! Which store a command uses, by an explicit rule that the command prints.

use std::path::{Path, PathBuf};

use crate::cli::{StoreArgs, StoreKind};

/// The store chosen and the reason, for the user to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Choice {
    /// Local or AWS.
    pub(crate) kind: StoreKind,
    /// Why, in words.
    pub(crate) reason: String,
}

/// What the rule looks at, so that tests can supply it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Environment {
    /// Names of the set, non-empty environment variables that start with `AWS_`.
    pub(crate) aws_variables: Vec<String>,
    /// AWS configuration files that exist.
    pub(crate) aws_files: Vec<PathBuf>,
}

impl Environment {
    /// Reads the process environment and the home directory.
    pub(crate) fn current() -> Self {
        let mut aws_variables: Vec<String> = std::env::vars_os()
            .filter_map(|(name, value)| {
                let name = name.into_string().ok()?;
                (name.starts_with("AWS_") && !value.is_empty()).then_some(name)
            })
            .collect();
        aws_variables.sort();
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let aws_files = home
            .iter()
            .flat_map(|home| [home.join(".aws/config"), home.join(".aws/credentials")])
            .filter(|path| Path::is_file(path))
            .collect();
        Self {
            aws_variables,
            aws_files,
        }
    }
}

/// The rule, in order:
/// 1. `--store local|aws` decides;
/// 2. `--endpoint-url` means AWS (an endpoint is a Secrets Manager service);
/// 3. any AWS configuration (an `AWS_*` variable, `~/.aws/config`, `~/.aws/credentials`) means AWS;
/// 4. otherwise the local store.
pub(crate) fn choose(args: &StoreArgs, environment: &Environment) -> Choice {
    if let Some(kind) = args.store {
        return Choice {
            kind,
            reason: "--store".to_owned(),
        };
    }
    if args.endpoint_url.is_some() {
        return Choice {
            kind: StoreKind::Aws,
            reason: "--endpoint-url is given".to_owned(),
        };
    }
    if let Some(variable) = environment.aws_variables.first() {
        return Choice {
            kind: StoreKind::Aws,
            reason: format!("AWS configuration found: ${variable} is set"),
        };
    }
    if let Some(file) = environment.aws_files.first() {
        return Choice {
            kind: StoreKind::Aws,
            reason: format!("AWS configuration found: {}", file.display()),
        };
    }
    Choice {
        kind: StoreKind::Local,
        reason: "no AWS configuration: no AWS_* variable, no ~/.aws/config or ~/.aws/credentials".to_owned(),
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

    #[test]
    fn the_local_store_is_the_default_only_without_any_aws_configuration() {
        let nothing = Environment::default();
        assert_eq!(choose(&args(None, None), &nothing).kind, StoreKind::Local);
        let variable = Environment {
            aws_variables: vec!["AWS_PROFILE".into()],
            aws_files: vec![],
        };
        let chosen = choose(&args(None, None), &variable);
        assert_eq!(chosen.kind, StoreKind::Aws);
        assert!(chosen.reason.contains("$AWS_PROFILE"), "{}", chosen.reason);
        let file = Environment {
            aws_variables: vec![],
            aws_files: vec![PathBuf::from("/home/u/.aws/credentials")],
        };
        assert_eq!(choose(&args(None, None), &file).kind, StoreKind::Aws);
    }

    #[test]
    fn flags_override_the_environment() {
        let configured = Environment {
            aws_variables: vec!["AWS_REGION".into()],
            aws_files: vec![],
        };
        let forced = choose(&args(Some(StoreKind::Local), None), &configured);
        assert_eq!(forced.kind, StoreKind::Local);
        let endpoint = choose(
            &args(None, Some("http://127.0.0.1:5000")),
            &Environment::default(),
        );
        assert_eq!(endpoint.kind, StoreKind::Aws);
    }
}
