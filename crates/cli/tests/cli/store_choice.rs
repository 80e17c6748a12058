//! The store follows intent: each way of configuring credentials chooses AWS, and settings
//! alone (`AWS_REGION`, `AWS_DEFAULT_REGION`, `AWS_CA_BUNDLE`, …) never do. The real binary,
//! with a controlled environment and `$HOME`; the first line says which store and why.
//!
//! The command is `secret create`, which makes no call on AWS (it refuses, local store only),
//! so no test here sends a request anywhere. Where the credentials cannot be loaded the run
//! stops at "no AWS credentials", after the same first line.

use super::support::{Sandbox, hmac_secret, unused_port};

/// Runs `rotor secret create app/key` with `variables` and returns the first stderr line and
/// whether the local store was written.
fn first_line(sandbox: &Sandbox, variables: &[(&str, &str)]) -> (String, bool) {
    let file = sandbox.write("value.json", &hmac_secret(3));
    let mut command = sandbox.command(&["secret", "create", "app/key", "--value-file", &file]);
    for (name, value) in variables {
        command.env(name, value);
    }
    let run = sandbox.run(command, None);
    let first = run.stderr.lines().next().unwrap_or_default().to_owned();
    (first, sandbox.store_path().exists())
}

#[test]
fn each_credential_variable_chooses_aws() {
    // A container credentials endpoint on a loopback port nothing listens on (the relative form
    // would name the ECS link-local address, which tests never call).
    let container = format!("http://127.0.0.1:{}/credentials", unused_port());
    let cases: [(&str, &[(&str, &str)]); 4] = [
        (
            "AWS_ACCESS_KEY_ID",
            &[
                ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "x"),
            ],
        ),
        ("AWS_PROFILE", &[("AWS_PROFILE", "ops")]),
        (
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            &[("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token")],
        ),
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            &[("AWS_CONTAINER_CREDENTIALS_FULL_URI", &container)],
        ),
    ];
    for (variable, set) in cases {
        let sandbox = Sandbox::new();
        let (line, local) = first_line(&sandbox, set);
        assert_eq!(
            line,
            format!("store: AWS Secrets Manager (AWS credentials configured: ${variable} is set)")
        );
        assert!(!local, "{variable}: nothing may be written to the local store");
    }
}

#[test]
fn the_aws_files_choose_aws_when_they_configure_credentials() {
    let sandbox = Sandbox::new();
    sandbox.write(
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = x\n",
    );
    let home = sandbox.dir().display().to_string();
    assert_eq!(
        first_line(&sandbox, &[]).0,
        format!("store: AWS Secrets Manager (AWS credentials configured: {home}/.aws/credentials)")
    );

    // IAM Identity Center (SSO) is configured in the config file only.
    let sso = Sandbox::new();
    sso.write(
        ".aws/config",
        "[default]\nregion = eu-west-1\nsso_session = corp\nsso_account_id = 123456789012\n\
         sso_role_name = Admin\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
         sso_region = eu-west-1\n",
    );
    let home = sso.dir().display().to_string();
    let (line, local) = first_line(&sso, &[]);
    assert_eq!(
        line,
        format!(
            "store: AWS Secrets Manager (AWS credentials configured: {home}/.aws/config sets sso_session)"
        )
    );
    assert!(!local);

    // AWS_SHARED_CREDENTIALS_FILE moves the credentials file, as it does for the SDK.
    let moved = Sandbox::new();
    moved.write("elsewhere/creds", "[default]\naws_access_key_id = AKIDEXAMPLE\n");
    let path = moved.dir().join("elsewhere/creds").display().to_string();
    assert_eq!(
        first_line(&moved, &[("AWS_SHARED_CREDENTIALS_FILE", &path)]).0,
        format!("store: AWS Secrets Manager (AWS credentials configured: {path})")
    );
}

#[test]
fn settings_alone_keep_the_local_store_and_are_named() {
    for variable in [
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CA_BUNDLE",
        "AWS_ENDPOINT_URL",
        "AWS_SESSION_TOKEN",
    ] {
        let sandbox = Sandbox::new();
        let (line, local) = first_line(&sandbox, &[(variable, "eu-west-1")]);
        // The sandbox always sets AWS_EC2_METADATA_DISABLED; names are listed sorted.
        let mut names = [variable, "AWS_EC2_METADATA_DISABLED"];
        names.sort_unstable();
        let named = names.map(|name| format!("${name}")).join(", ");
        assert_eq!(
            line,
            format!(
                "store: local store .rotor/store.json (no AWS credentials configured; {named} alone does \
                 not choose AWS; --store aws uses AWS)"
            ),
            "{variable}"
        );
        assert!(local, "{variable}: the secret is created in the local store");
    }
}

#[test]
fn empty_aws_files_and_a_region_only_config_keep_the_local_store() {
    let sandbox = Sandbox::new();
    sandbox.write(".aws/credentials", "\n# no profiles yet\n");
    sandbox.write(".aws/config", "[default]\nregion = eu-west-1\noutput = json\n");
    let (line, local) = first_line(&sandbox, &[]);
    assert!(
        line.starts_with("store: local store .rotor/store.json (no AWS credentials configured"),
        "{line}"
    );
    assert!(local);
}

/// The README's "Rotate locally" steps, exactly as written, in a shell that has `AWS_REGION`
/// (and other settings) but no credentials.
#[test]
fn the_readme_rotate_locally_steps_work_in_a_shell_with_aws_region_set() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let (_, section) = readme.split_once("## Rotate locally").unwrap();
    let (_, block) = section.split_once("```sh\n").unwrap();
    let (block, _) = block.split_once("```").unwrap();
    let lines: Vec<&str> = block
        .lines()
        .map(|line| line.split_once("  #").map_or(line, |(command, _)| command).trim())
        .collect();
    let make_key = lines.iter().find(|line| line.ends_with("> key.json")).unwrap();
    let local_steps: Vec<Vec<&str>> = lines
        .iter()
        .filter(|line| line.starts_with("rotor ") && !line.contains("--store aws") && !line.contains("--all"))
        .map(|line| line.split_whitespace().skip(1).collect())
        .collect();
    assert_eq!(local_steps.len(), 3, "create, rotate, status: {local_steps:?}");

    let sandbox = Sandbox::new();
    let made = std::process::Command::new("sh")
        .args(["-c", make_key])
        .current_dir(sandbox.dir())
        .status()
        .unwrap();
    assert!(made.success(), "{make_key}");
    for step in &local_steps {
        let mut command = sandbox.command(step);
        command
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_DEFAULT_REGION", "eu-west-1")
            .env("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt");
        let run = sandbox.run(command, None);
        run.expect(0);
        assert!(
            run.stderr
                .starts_with("store: local store .rotor/store.json (no AWS credentials configured"),
            "{step:?}: {}",
            run.stderr
        );
    }
}
