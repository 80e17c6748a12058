//! What the three launchers share: OS accounts, scratch directories, free ports, guarded server processes (and
//! their pairing with the directory they write to), readiness polling, cached templates and one-shot commands.

mod account;
mod command;
mod port;
mod process;
mod program;
mod running;
mod scratch;
mod startup;
mod template;

use rand::RngExt as _;
use rand::distr::Alphanumeric;

pub(crate) use account::{OsAccount, command_as};
pub(crate) use command::run;
pub(crate) use port::free_port;
pub(crate) use process::{ServerCommand, ServerProcess, StopSignal};
pub(crate) use program::{find_program, is_executable};
pub(crate) use running::{Running, read_text};
pub(crate) use scratch::ScratchDir;
pub(crate) use startup::{spawn_until_ready, start_on_free_port};
pub(crate) use template::{cached_template, copy_tree};

/// The address every throwaway server listens on, and only on.
pub(crate) const LOCALHOST: &str = "127.0.0.1";

/// A random alphanumeric string of `length` characters: needs no quoting in SQL, URLs or shell words.
pub(crate) fn random_token(length: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

/// A fresh password for a server account.
pub(crate) fn random_password() -> String {
    random_token(32)
}
