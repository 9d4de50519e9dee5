//! The command line as an operator meets it: help, version, completion, usage errors.

use predicates::str::contains;

use crate::support::{binary, kubectl_smi, ok, script_available};

#[test]
fn help_lists_every_command_in_operator_words() {
    let help = ok(kubectl_smi().arg("--help"));
    for command in [
        "render",
        "validate",
        "schema",
        "policies",
        "secrets",
        "prometheus",
        "network",
        "preflight",
        "completion",
        "version",
    ] {
        assert!(
            help.contains(&format!("\n  {command} ")),
            "{command} missing from:\n{help}"
        );
    }
    assert!(help.contains("--post-renderer kubectl-smi"), "{help}");
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["render", "--help"],
        vec!["secrets", "create", "--help"],
        vec!["prometheus", "adapter-rules", "--help"],
        vec!["network", "rules", "--help"],
        vec!["preflight", "--help"],
        vec!["policies", "--help"],
    ] {
        kubectl_smi()
            .args(&args)
            .assert()
            .success()
            .stdout(contains("Usage:"));
    }
}

#[test]
fn version_prints_text_or_json() {
    kubectl_smi()
        .arg("version")
        .assert()
        .success()
        .stdout(format!("kubectl-smi {}\n", env!("CARGO_PKG_VERSION")));
    let json: serde_json::Value =
        serde_json::from_str(&ok(kubectl_smi().args(["version", "-o", "json"]))).unwrap();
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn completion_scripts_are_printed_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        kubectl_smi()
            .args(["completion", shell])
            .assert()
            .success()
            .stdout(contains("kubectl-smi"));
    }
}

#[test]
fn unknown_flags_are_usage_errors_with_exit_code_2() {
    kubectl_smi()
        .args(["render", "--no-such-flag"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(contains("--no-such-flag"));
}

#[test]
fn on_a_terminal_with_no_command_it_prints_help() {
    if !script_available() {
        return;
    }
    let screen = ok(std::process::Command::new("script").args([
        "-qec",
        &binary().display().to_string(),
        "/dev/null",
    ]));
    assert!(screen.contains("Usage:"), "{screen}");
}

#[test]
fn unknown_output_formats_are_usage_errors_listing_the_accepted_ones() {
    let cases: [(&[&str], &str); 7] = [
        (&["network", "rules"], "text, json, aws, oci, oci-nsg"),
        (&["preflight"], "text, json"),
        (&["prometheus", "servicemonitor"], "yaml, json"),
        (&["prometheus", "adapter-rules"], "yaml, json"),
        (&["secrets", "status"], "text, json"),
        (&["validate"], "text, json"),
        (&["policies"], "text, json, terraform, script or dir=PATH"),
    ];
    for (command, accepted) in cases {
        let out = kubectl_smi()
            .args(command)
            .args(["-o", "xml", "-f"])
            .arg(crate::support::example("values-aws.yaml"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{command:?}");
        assert!(
            stderr.contains("'xml'"),
            "{command:?} names the value: {stderr}"
        );
        assert!(
            stderr.contains(accepted),
            "{command:?} lists {accepted}: {stderr}"
        );
    }
}

#[test]
fn an_explain_file_that_cannot_be_written_is_an_error_not_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-directory/explain.txt");
    let input = std::fs::read(crate::support::example("rendered-helm4.yaml")).unwrap();
    let out = kubectl_smi()
        .args(["render", "-f"])
        .arg(crate::support::example("values-aws.yaml"))
        .arg("--explain-file")
        .arg(&path)
        .write_stdin(input)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write") && stderr.contains("explain.txt"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: check that the directory exists"),
        "{stderr}"
    );
}

/// `kubectl smi <TAB>`: kubectl runs `kubectl_complete-smi` from PATH; the script
/// `completion --kubectl-plugin` prints answers with the subcommands, flags and values.
#[test]
fn kubectl_smi_completes_through_the_kubectl_complete_smi_script() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("kubectl_complete-smi");
    std::fs::write(
        &script,
        ok(kubectl_smi().args(["completion", "--kubectl-plugin"])),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = binary();
    let path = format!(
        "{}:{}:{}",
        dir.path().display(),
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let complete = |args: &[&str]| {
        let out = std::process::Command::new(&script)
            .args(args)
            .env("PATH", &path)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let top = complete(&["po"]);
    assert!(top.starts_with("policies\t"), "{top}");
    assert!(top.ends_with(":4\n"), "{top}");
    assert!(!top.contains("render"), "{top}");
    let flags = complete(&["policies", "--dr"]);
    assert!(flags.starts_with("--dry-run\t"), "{flags}");
    let values = complete(&["network", "rules", "-o", "oci"]);
    let names: Vec<&str> = values
        .lines()
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(names, ["oci", "oci-nsg", ":4"]);
    // A values file: the shell completes file names.
    assert_eq!(complete(&["render", "-f", ""]), ":0\n");
    // Through kubectl itself, when it is installed.
    if crate::support::kubectl_available() {
        let out = std::process::Command::new("kubectl")
            .args(["__complete", "smi", "pol"])
            .env("PATH", &path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("policies"),
            "kubectl __complete smi pol: {out:?}"
        );
    }
}
