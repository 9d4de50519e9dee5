//! A post-render's warnings reach the operator although Helm hides its stderr: one log entry
//! per run that warns or fails (Helm 3 and Helm 4 alike), and a copy on the controlling
//! terminal naming the log.

use std::path::Path;
use std::process::Command;

use crate::support::{binary, example, kubectl_smi, script_available};

/// The entries of a log, each from its header line on.
fn entries(log: &str) -> Vec<&str> {
    let starts: Vec<usize> = log
        .match_indices("# 20")
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || log.as_bytes()[i - 1] == b'\n')
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &start)| &log[start..starts.get(n + 1).copied().unwrap_or(log.len())])
        .collect()
}

/// Runs the post-renderer as Helm 3 does (no command, no HELM_PLUGIN_NAME, stderr captured)
/// on an example stream, logging to `log`.
fn helm3_run(input: &str, log: &Path) -> std::process::Output {
    let values = format!("--values={}", example("values-aws.yaml").display());
    kubectl_smi()
        .arg(&values)
        .env("SMI_LOG_FILE", log)
        .pipe_stdin(example(input))
        .expect("the example exists")
        .output()
        .unwrap()
}

#[test]
fn a_helm3_post_render_that_warns_or_fails_appends_one_entry_per_run_to_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("smi.log");
    // Without warnings nothing is logged outside Helm 4 (the Helm 4 stream has every hook).
    let quiet = helm3_run("rendered-helm4.yaml", &log);
    assert_eq!(quiet.status.code(), Some(0));
    assert!(
        quiet.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&quiet.stderr)
    );
    assert!(!log.exists(), "a run without warnings is not logged");
    for _ in 0..2 {
        let out = helm3_run("rendered-helm3.yaml", &log);
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stderr).contains("warning: "));
    }
    let text = std::fs::read_to_string(&log).expect("the runs that warned are logged");
    let runs = entries(&text);
    assert_eq!(runs.len(), 2, "{text}");
    for run in &runs {
        let header = run.lines().next().unwrap();
        assert!(header.contains(" strategy combined: "), "{header}");
        assert!(header.contains("--values="), "{header}");
        assert!(
            run.contains("warning: service accounts of the guide's table missing from the manifests: filesvc-migrations"),
            "{run}"
        );
        assert!(
            run.contains("  Lost: ") && run.contains("  To do: "),
            "{run}"
        );
        assert!(
            run.contains("\npost-rendered: "),
            "the run's changes follow: {run}"
        );
    }
    // A failing run is logged too, with its error and hint.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nmetadata: {name: x}\n").unwrap();
    let values = format!("--values={}", example("values-aws.yaml").display());
    let out = kubectl_smi()
        .args(["render", &values])
        .env("SMI_LOG_FILE", &log)
        .pipe_stdin(&bad)
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&log).unwrap();
    let runs = entries(&text);
    assert_eq!(runs.len(), 3, "{text}");
    assert!(
        runs[2].contains("error: ") && runs[2].contains("the object has no kind"),
        "{}",
        runs[2]
    );
    assert!(runs[2].contains("  hint: "), "{}", runs[2]);
}

#[test]
fn the_log_of_a_helm3_run_defaults_to_the_xdg_state_directory() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let values = format!("--values={}", example("values-aws.yaml").display());
    let out = kubectl_smi()
        .arg(&values)
        .env_remove("SMI_LOG_FILE")
        .env("XDG_STATE_HOME", &state)
        .pipe_stdin(example("rendered-helm3.yaml"))
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = std::fs::read_to_string(state.join("kubectl-smi/kubectl-smi.log"))
        .expect("the log is at $XDG_STATE_HOME/kubectl-smi/kubectl-smi.log");
    assert_eq!(entries(&text).len(), 1, "{text}");
}

#[test]
fn other_commands_warnings_are_not_logged_outside_helm4() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("smi.log");
    // `policies` warns when --account-id overrides the values' account.
    let out = kubectl_smi()
        .args(["policies", "--account-id", "111111111111", "-f"])
        .arg(example("values-aws.yaml"))
        .env("SMI_LOG_FILE", &log)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: --account-id 111111111111 overrides"),
        "{stderr}"
    );
    assert!(!log.exists(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs `command` in a shell on a pseudo-terminal (`script`), its stdout and stderr thrown
/// away as Helm does with a post-renderer's stderr: what it prints is what reached the
/// terminal.
fn on_a_terminal(command: &str) -> String {
    let out = Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .env_remove("SMI_NO_TTY")
        .env_remove("HELM_PLUGIN_NAME")
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_helm3_post_render_copies_its_warnings_to_the_terminal_naming_the_log_unless_smi_no_tty() {
    if !script_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("smi.log");
    let run = |prefix: &str| {
        on_a_terminal(&format!(
            "{prefix}SMI_LOG_FILE={log} {bin} --values={values} < {input} >/dev/null 2>/dev/null",
            log = log.display(),
            bin = binary().display(),
            values = example("values-oci.yaml").display(),
            input = example("rendered-helm3.yaml").display(),
        ))
    };
    let terminal = run("");
    assert!(
        terminal.contains(&format!(
            "kubectl-smi (Helm post-renderer): 1 warning, also written to {}:",
            log.display()
        )),
        "terminal showed: {terminal}"
    );
    assert!(
        terminal.contains("OCI_RESOURCE_PRINCIPAL_REGION=eu-frankfurt-1"),
        "terminal showed: {terminal}"
    );
    for opt_out in ["SMI_NO_TTY=1 ", "SMI_NO_TTY=yes "] {
        let terminal = run(opt_out);
        assert!(
            !terminal.contains("warning"),
            "{opt_out}: terminal showed: {terminal}"
        );
    }
    // Every run warned and was logged, with or without the terminal copy.
    assert_eq!(entries(&std::fs::read_to_string(&log).unwrap()).len(), 3);
}

#[test]
fn a_post_render_run_on_a_terminal_writes_its_warnings_once_on_stderr() {
    if !script_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let terminal = on_a_terminal(&format!(
        "SMI_LOG_FILE={log} {bin} render --values={values} < {input} >/dev/null",
        log = dir.path().join("smi.log").display(),
        bin = binary().display(),
        values = example("values-aws.yaml").display(),
        input = example("rendered-helm3.yaml").display(),
    ));
    assert_eq!(
        terminal
            .matches("service accounts of the guide's table missing")
            .count(),
        1,
        "{terminal}"
    );
    assert!(
        !terminal.contains("kubectl-smi (Helm post-renderer)"),
        "{terminal}"
    );
}
