//! One module per subcommand.

pub(crate) mod cancel;
pub(crate) mod check;
pub(crate) mod demo;
pub(crate) mod fleet;
pub(crate) mod rotate;
pub(crate) mod secret;
pub(crate) mod status;
pub(crate) mod via_service;

use clap::ValueEnum;

use crate::output::{Exit, Output};
use crate::rotators::RotatorName;

/// `rotor rotators`: the names `--rotator` accepts.
pub(crate) fn list_rotators(output: Output) -> Exit {
    for name in RotatorName::value_variants() {
        let help = name
            .to_possible_value()
            .and_then(|value| value.get_help().map(ToString::to_string))
            .unwrap_or_default();
        output.line(format!("{:<24} {help}", name.as_str()));
    }
    Exit::Success
}
