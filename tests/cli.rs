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
