//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::EXIT_CODES;
use crate::rotators::RotatorName;
use crate::store::Filter;

/// Rotate AWS Secrets Manager secrets exactly as Secrets Manager would, locally or against AWS.
#[derive(Debug, Parser)]
#[command(name = "rotor", version, about, long_about = None, after_help = EXIT_CODES)]
pub(crate) struct Cli {
    /// Where secrets live.
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Which Secrets Manager to use. Without `--store`: AWS when `--endpoint-url` is given or
/// credentials are configured (`AWS_ACCESS_KEY_ID`, `AWS_PROFILE`, web identity, a container
/// endpoint, a `~/.aws/credentials` with content, or a `~/.aws/config` profile with credential
/// settings), else the local store. Settings alone (`AWS_REGION`, `AWS_CA_BUNDLE`, …) never
/// choose AWS.
#[derive(Debug, Clone, Args)]
pub(crate) struct StoreArgs {
    /// The store: `local` (a JSON file) or `aws` (the default credential chain). Without it,
    /// AWS only when `--endpoint-url` is given or AWS credentials are configured.
    #[arg(long, global = true, value_enum)]
    pub(crate) store: Option<StoreKind>,
    /// Secrets Manager endpoint, e.g. moto or a VPC endpoint; implies `--store aws`.
    #[arg(long, global = true, value_name = "URL")]
    pub(crate) endpoint_url: Option<String>,
    /// The local store's file.
    #[arg(
        long,
        global = true,
        env = "ROTOR_STORE",
        default_value = ".rotor/store.json",
        value_name = "PATH"
    )]
    pub(crate) store_file: PathBuf,
}

impl Command {
    /// Input that is wrong whatever the store holds (a `--filter` the CLI does not understand,
    /// a `--rate` that is not a positive number), as the one line to print before anything is
    /// called.
    pub(crate) fn bad_input(&self) -> Option<String> {
        let (filter, rate) = match self {
            Self::Rotate(args) => (args.filter.as_deref(), args.all.then_some(args.rate)),
            Self::Check(args) => (args.filter.as_deref(), None),
            _ => (None, None),
        };
        if let Some(text) = filter
            && let Err(problem) = Filter::parse(text)
        {
            return Some(format!("unknown filter {text:?}: {problem}"));
        }
        match rate {
            Some(rate) if !(rate.is_finite() && rate > 0.0) => Some(format!(
                "--rate must be a positive number of secrets per second, not {rate}"
            )),
            _ => None,
        }
    }

    /// The one secret the command names, if it names one.
    pub(crate) fn secret_id(&self) -> Option<&str> {
        match self {
            Self::Rotate(args) => args.secret_id.as_deref(),
            Self::Check(args) => args.secret_id.as_deref(),
            Self::Cancel { secret_id, .. } => Some(secret_id),
            Self::Status(args) => Some(&args.secret_id),
            Self::Secret(SecretCommand::Rotation { secret_id, .. }) => Some(secret_id),
            Self::Secret(_) | Self::Demo { .. } | Self::Rotators => None,
        }
    }
}

/// The two kinds of store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum StoreKind {
    /// A file holding core's in-memory model of Secrets Manager.
    Local,
    /// AWS Secrets Manager (or `--endpoint-url`).
    Aws,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run the four rotation steps in-process: one secret, or a fleet with `--all`.
    ///
    /// With `--via-service`, Secrets Manager runs them instead, through each secret's deployed
    /// rotation function (RotateSecret), and the CLI waits for each rotation by its labels.
    Rotate(RotateArgs),
    /// Check, changing nothing, that rotation would work: one secret, or a fleet with `--all`.
    ///
    /// Runs testSecret's configuration test (as RotateSecret with RotateImmediately=false does)
    /// plus what the rotator needs to rotate, and prints each secret's verdict, its first failing
    /// check and what to do. Exits 1 when any secret would fail.
    Check(CheckArgs),
    /// Abandon a stuck rotation: remove AWSPENDING from the version that is not AWSCURRENT.
    ///
    /// When that version holds a value, setSecret may already have applied it (a single-user
    /// rotator changes the user's own password), and cancelling would leave AWSCURRENT unable to
    /// log in: cancel then refuses, and says how to resume instead, unless `--force` is given.
    Cancel {
        /// The secret's name or ARN.
        secret_id: String,
        /// Cancel even when the pending version holds a value that setSecret may have applied.
        #[arg(long)]
        force: bool,
    },
    /// Show a secret's versions and labels, and whether a rotation is stuck (exit code 3).
    Status(StatusArgs),
    /// Manage secrets in the local store.
    #[command(subcommand)]
    Secret(SecretCommand),
    /// Prove rotations end to end on this machine, with no AWS account.
    Demo {
        /// What to rotate: a throwaway PostgreSQL (both strategies), or an HMAC key (no database).
        #[arg(value_enum, default_value = "postgres")]
        subject: DemoSubject,
    },
    /// List the rotators this binary can run.
    Rotators,
}

/// What `rotor demo` rotates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DemoSubject {
    /// PostgreSQL users on a throwaway server, single user and alternating users.
    Postgres,
    /// An HMAC signing key; needs no database.
    HmacKey,
}

/// `rotor rotate`.
#[derive(Debug, Args)]
pub(crate) struct RotateArgs {
    /// The secret's name or ARN.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub(crate) secret_id: Option<String>,
    /// How to rotate it (not with --via-service: the deployed function is the rotator).
    #[arg(long, value_enum, required_unless_present = "via_service")]
    pub(crate) rotator: Option<RotatorName>,
    /// Continue the rotation stuck in AWSPENDING with its own token instead of starting one.
    #[arg(long, conflicts_with_all = ["all", "via_service"])]
    pub(crate) resume: bool,
    /// Print AWSCURRENT and AWSPREVIOUS values after the rotation.
    #[arg(long, conflicts_with_all = ["all", "via_service"])]
    pub(crate) show_secret: bool,
    /// Let Secrets Manager rotate through each secret's deployed rotation function
    /// (RotateSecret), for databases only that function can reach, and wait for each rotation
    /// by watching its version's labels. AWS only.
    #[arg(long, conflicts_with = "rotator")]
    pub(crate) via_service: bool,
    /// With --via-service: how long to wait for each rotation to complete, in seconds.
    #[arg(long, default_value_t = 300, requires = "via_service", value_name = "SECONDS")]
    pub(crate) wait: u64,
    /// Time allowed for each step, in seconds (a Lambda's timeout).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub(crate) step_timeout: u64,
    /// Rotate every secret that matches `--filter`.
    #[arg(long, requires = "filter")]
    pub(crate) all: bool,
    /// A name prefix, or `tag=value`.
    #[arg(long, requires = "all", value_name = "PREFIX|TAG=VALUE")]
    pub(crate) filter: Option<String>,
    /// Rotations in flight at once.
    #[arg(long, default_value_t = 8, requires = "all", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) concurrency: u16,
    /// Most rotations started per second (a positive number).
    #[arg(
        long,
        default_value_t = 50.0,
        requires = "all",
        value_name = "PER_SECOND",
        allow_negative_numbers = true
    )]
    pub(crate) rate: f64,
}

/// `rotor check`.
#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The secret's name or ARN.
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    pub(crate) secret_id: Option<String>,
    /// The rotator that would rotate it (not with --via-service: the deployed function is).
    #[arg(long, value_enum, required_unless_present = "via_service")]
    pub(crate) rotator: Option<RotatorName>,
    /// Ask each secret's deployed rotation function instead of checking here: RotateSecret
    /// with RotateImmediately=false, which runs only its testSecret on a test version that
    /// Secrets Manager removes afterwards. AWS only.
    #[arg(long, conflicts_with = "rotator")]
    pub(crate) via_service: bool,
    /// With --via-service: how long to wait for each test to finish, in seconds.
    #[arg(long, default_value_t = 300, requires = "via_service", value_name = "SECONDS")]
    pub(crate) wait: u64,
    /// Check every secret that matches `--filter`.
    #[arg(long, requires = "filter")]
    pub(crate) all: bool,
    /// A name prefix, or `tag=value`.
    #[arg(long, requires = "all", value_name = "PREFIX|TAG=VALUE")]
    pub(crate) filter: Option<String>,
    /// Time allowed for each secret's checks, in seconds (a Lambda's timeout).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub(crate) step_timeout: u64,
    /// Secrets checked at once.
    #[arg(long, default_value_t = 8, requires = "all", value_parser = clap::value_parser!(u16).range(1..))]
    pub(crate) concurrency: u16,
}

/// `rotor status`.
#[derive(Debug, Args)]
pub(crate) struct StatusArgs {
    /// The secret's name or ARN.
    pub(crate) secret_id: String,
    /// Print each version's value.
    #[arg(long)]
    pub(crate) show_secret: bool,
}

/// `rotor secret`.
#[derive(Debug, Subcommand)]
pub(crate) enum SecretCommand {
    /// Create a secret in the local store. The value is read from a file or stdin, never from
    /// the command line, where it would reach the shell history and `ps`.
    Create {
        /// The secret's name.
        name: String,
        /// Read the value from this file.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "value_stdin",
            conflicts_with = "value_stdin"
        )]
        value_file: Option<PathBuf>,
        /// Read the value from standard input.
        #[arg(long)]
        value_stdin: bool,
        /// `key=value` tags (repeatable).
        #[arg(long = "tag", value_name = "KEY=VALUE")]
        tags: Vec<String>,
    },
    /// List the secrets in the store.
    List,
    /// Turn rotation on or off for a secret in the local store (RotationEnabled).
    Rotation {
        /// The secret's name or ARN.
        secret_id: String,
        /// `on` or `off`.
        #[arg(value_enum)]
        state: Switch,
    },
}

/// On or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Switch {
    /// Enabled.
    On,
    /// Disabled.
    Off,
}
