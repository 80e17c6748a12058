//! `scripts/release` is reproducible: two runs over the same binaries write the same
//! SHA256SUMS, and each zip holds exactly the built `bootstrap`, executable, with a fixed
//! timestamp, under a packaged template that passes cfn-lint.
//!
//! It packages the x86_64 release builds `scripts/test` has already made (built here through
//! [`lambdas::bootstrap`] when missing, under the same lock), so in CI it costs two packaging
//! runs and one cfn-lint, not a build. That the binaries themselves are reproducible is
//! measured, not tested here: a clean build takes minutes (BENCHMARKS.md).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use super::cfn::FUNCTIONS;
use crate::e2e::lambdas::{self, Arch, workspace_root};

const BINS: [&str; 8] = [
    lambdas::HMAC_KEY,
    lambdas::POSTGRES_SINGLE_USER,
    lambdas::POSTGRES_MULTI_USER,
    lambdas::MYSQL_SINGLE_USER,
    lambdas::MYSQL_MULTI_USER,
    "iam-access-key-rotator",
    "redshift-single-user",
    "redshift-multi-user",
];

fn release(out: &Path) -> String {
    let root = workspace_root();
    let output = Command::new(root.join("scripts/release"))
        .args(["--arch", "x86_64", "--no-build", "--out"])
        .arg(out)
        .current_dir(&root)
        .output()
        .expect("run scripts/release");
    assert!(
        output.status.success(),
        "scripts/release failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read_to_string(out.join("SHA256SUMS")).expect("SHA256SUMS")
}

/// The zip's entries as Python's zipfile reads them: name, mode, timestamp, SHA-256 of the bytes.
fn entries(zip: &Path) -> Value {
    let output = Command::new(workspace_root().join(".venv/bin/python"))
        .arg("-c")
        .arg(
            "import hashlib, json, sys, zipfile\n\
             z = zipfile.ZipFile(sys.argv[1])\n\
             print(json.dumps([[i.filename, oct(i.external_attr >> 16), list(i.date_time),\n\
                                hashlib.sha256(z.read(i)).hexdigest()] for i in z.infolist()]))",
        )
        .arg(zip)
        .output()
        .expect("the venv's python");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn sha256(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().expect("sha256sum");
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .next()
        .expect("a digest")
        .to_owned()
}

#[tokio::test]
async fn a_second_release_run_reproduces_the_checksums_and_each_zip_holds_the_built_bootstrap() {
    assert_eq!(BINS.len(), FUNCTIONS.len());
    let mut built = Vec::new();
    for bin in BINS {
        built.push((bin, lambdas::bootstrap(bin, Arch::X86_64).await));
    }
    // Other tests may rebuild the binaries meanwhile (under the exclusive lock): hold the shared
    // one across both runs, so both package the same bytes.
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lambdas::lambda_dir().join(".build.lock"))
        .expect("open target/lambda/.build.lock");
    lock.lock_shared().expect("lock target/lambda/.build.lock");
    let scratch = std::env::temp_dir().join(format!("rotor-release-{}", std::process::id()));
    std::fs::remove_dir_all(&scratch).ok();
    let first = release(&scratch.join("first"));
    let second = release(&scratch.join("second"));
    assert_eq!(first, second, "the second run changed a checksum");
    assert_eq!(
        first.lines().count(),
        BINS.len() + 1,
        "a zip per function and one template:\n{first}"
    );

    let out = scratch.join("first");
    for (bin, bootstrap) in &built {
        let zip = out.join(format!("{bin}-x86_64.zip"));
        let expected =
            serde_json::json!([["bootstrap", "0o100755", [1980, 1, 1, 0, 0, 0], sha256(bootstrap)]]);
        assert_eq!(entries(&zip), expected, "{}", zip.display());
    }

    let template = std::fs::read_to_string(out.join("template-x86_64.yaml")).expect("packaged template");
    for bin in BINS {
        assert!(
            template.contains(&format!("CodeUri: ./{bin}-x86_64.zip\n")),
            "{bin}"
        );
    }
    assert!(
        !template.contains("BuildMethod"),
        "a packaged template builds nothing"
    );
    let lint = Command::new(workspace_root().join(".venv/bin/cfn-lint"))
        .arg(out.join("template-x86_64.yaml"))
        .output()
        .expect("cfn-lint");
    assert!(lint.status.success(), "{}", String::from_utf8_lossy(&lint.stdout));
    drop(lock);

    std::fs::remove_dir_all(&scratch).ok();
}
