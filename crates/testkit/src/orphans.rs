//! Directories left by test processes that were killed outright.

use std::path::Path;

/// Removes `<tmp>/<prefix><pid>-…` directories whose test process `<pid>` is gone. A test process
/// killed outright (a nextest timeout) runs no destructor, so the processes it started exit by
/// themselves (their parent or their Runtime API is gone) but their directories stay.
pub fn remove_orphaned_dirs(prefix: &str) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(prefix))
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
