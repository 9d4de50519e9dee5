//! examples/staging: a second environment end to end, offline. Every command its README
//! marks `# offline` runs and succeeds as written; the staging stream renders with the
//! staging values (and the prod stream is refused, naming the environment it was rendered
//! for); and render warns when the Ingress hosts and `smi.dns` disagree.

use std::path::PathBuf;

use crate::support::{example, kubectl_smi, ok, text, write_file};

fn staging() -> PathBuf {
    example("staging")
}

/// The `kubectl smi ...` lines of the README's shell blocks marked `# offline`, as
/// (arguments, stdin file).
fn offline_commands() -> Vec<(Vec<String>, Option<String>)> {
    let readme = std::fs::read_to_string(staging().join("README.md")).unwrap();
    let mut commands = Vec::new();
    let mut in_block = false;
    for line in readme.lines() {
        if line.starts_with("```") {
            in_block = !in_block;
            continue;
        }
        let Some((command, comment)) = line.split_once('#') else {
            continue;
        };
        if !in_block || !comment.trim_start().starts_with("offline") {
            continue;
        }
        let (command, stdin) = match command.split_once('<') {
            Some((command, file)) => (command, Some(file.trim().to_owned())),
            None => (command, None),
        };
        let words: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        assert_eq!(words[..2], ["kubectl", "smi"], "{line}");
        commands.push((words[2..].to_vec(), stdin));
    }
    commands
}

#[test]
fn every_offline_command_of_the_staging_readme_runs_as_written() {
    let commands = offline_commands();
    assert!(commands.len() >= 9, "{commands:?}");
    for (args, stdin) in commands {
        let mut cmd = kubectl_smi();
        cmd.args(&args)
            .current_dir(staging())
            .env("HOME", "/nonexistent")
            .env_remove("KUBERNETES_SERVICE_HOST");
        if let Some(file) = &stdin {
            cmd.pipe_stdin(staging().join(file)).unwrap();
        }
        let output = cmd.output().unwrap();
        assert!(
            output.status.success(),
            "kubectl smi {} failed: {}",
            args.join(" "),
            text(&output)
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            !stderr.contains("Ingress"),
            "no Ingress warning for the staging example: {stderr}"
        );
    }
}

#[test]
fn the_staging_stream_renders_for_staging_in_both_helm_forms() {
    let values = staging().join("values.yaml");
    for form in ["helm3", "helm4"] {
        let stream = staging().join(format!("rendered-{form}.yaml"));
        let rendered = ok(kubectl_smi()
            .arg("render")
            .arg("-f")
            .arg(&values)
            .pipe_stdin(&stream)
            .unwrap());
        assert!(
            rendered.contains("name: scriptmanager-staging"),
            "{form}: the ServiceMonitor of staging"
        );
        assert!(
            rendered.contains("arn:aws:iam::210987654321:role/dtp-staging-"),
            "{form}: the staging roles"
        );
        assert!(
            rendered.contains("- host: app.staging.example-domain.com")
                && !rendered.contains("- host: app.example-domain.com"),
            "{form}: the Ingress routes the staging names"
        );
    }
}

#[test]
fn the_prod_stream_with_the_staging_values_is_refused_naming_both_environments() {
    let output = kubectl_smi()
        .arg("render")
        .arg("-f")
        .arg(staging().join("values.yaml"))
        .pipe_stdin(example("rendered-helm3.yaml"))
        .unwrap()
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("instance=scriptmanager-staging (from smi.environment)")
            && stderr.contains("the charts were rendered for environment prod"),
        "{stderr}"
    );
    assert!(
        stderr.contains("examples/staging shows both set"),
        "{stderr}"
    );
}

#[test]
fn render_warns_when_the_ingress_hosts_are_not_the_values_dns_names() {
    let dir = tempfile::tempdir().unwrap();
    let prod = std::fs::read_to_string(example("values-aws.yaml")).unwrap();
    assert_eq!(prod.matches("    app: app.example-domain.com\n").count(), 1);
    // New names for the app, with external-dns on: the Ingress still routes the old one.
    let renamed = prod.replace(
        "    app: app.example-domain.com\n",
        "    app: app.new-domain.com\n    externalDns: true\n",
    );
    let values = write_file(dir.path(), "renamed.yaml", &renamed);
    let render = |values: &std::path::Path| {
        kubectl_smi()
            .arg("render")
            .arg("-f")
            .arg(values)
            .pipe_stdin(example("rendered-helm3.yaml"))
            .unwrap()
            .output()
            .unwrap()
    };
    let output = render(&values);
    assert!(
        output.status.success(),
        "a warning, not an error: {}",
        text(&output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    for expected in [
        "warning: Ingress/platform routes app.example-domain.com, which is not among the values' DNS names (app.new-domain.com, api.example-domain.com, id.example-domain.com)",
        "warning: Ingress/platform: external-dns creates app.new-domain.com for it",
        "warning: no Ingress of the release routes app.new-domain.com (smi.dns.app)",
    ] {
        assert!(stderr.contains(expected), "{expected:?} in\n{stderr}");
    }
    // The stream is still written, unchanged by the check.
    assert!(String::from_utf8_lossy(&output.stdout).contains("- host: app.example-domain.com"));

    // Names that agree: no such warning.
    let output = render(&example("values-aws.yaml"));
    assert!(output.status.success(), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("Ingress"), "{stderr}");
}
