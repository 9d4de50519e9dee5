//! The binary run exactly as Helm 3 and Helm 4 run a post-renderer (argv, environment,
//! stdin framing), and its output read the way Helm 4 reads it.

use std::path::Path;
use std::process::{Command, Stdio};

use serde::Deserialize;

use crate::support::{binary, example, kubectl_smi, ok, ok_output, repo, script_available};

const FILENAME: &str = "postrenderer.helm.sh/postrender-filename";

/// Documents as Helm 4's kyaml reader splits them: `---` separators (optionally followed by
/// a comment); every document needs apiVersion, kind and metadata.
fn helm4_documents(output: &str) -> Vec<serde_json::Value> {
    let mut docs = Vec::new();
    for chunk in output.split("\n---").map(|c| c.trim_start_matches("---")) {
        let chunk = chunk.strip_prefix('\n').unwrap_or(chunk);
        let first = chunk.lines().next().unwrap_or("");
        assert!(
            first.is_empty() || !first.starts_with(' '),
            "a separator is followed by something other than a newline or comment: {first:?}"
        );
        if chunk.trim().is_empty()
            || chunk
                .lines()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        let value: serde_json::Value = serde_saphyr::from_str(chunk).expect("each document parses");
        for field in ["apiVersion", "kind", "metadata"] {
            assert!(
                value.get(field).is_some(),
                "a document has no {field}: {chunk}"
            );
        }
        docs.push(value);
    }
    docs
}

#[test]
fn helm3_runs_it_with_no_command_and_one_argument_per_post_renderer_arg() {
    let input = std::fs::read_to_string(example("rendered-helm3.yaml")).unwrap();
    let values = format!("--values={}", example("values-aws.yaml").display());
    let text = ok(kubectl_smi().arg(&values).write_stdin(input.clone()));
    let sources = |t: &str| {
        t.lines()
            .filter(|l| l.starts_with("# Source: "))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let (before, after) = (sources(&input), sources(&text));
    assert_eq!(
        after[..before.len()],
        before[..],
        "every # Source: comment is kept, in order"
    );
    assert!(
        after[before.len()..]
            .iter()
            .all(|s| s.starts_with("# Source: kubectl-smi/")),
        "added documents carry their own # Source: {after:?}"
    );
    assert!(!helm4_documents(&text).is_empty());
}

#[test]
fn helm3_users_can_pass_values_through_the_environment() {
    let input = std::fs::read_to_string(example("rendered-helm3.yaml")).unwrap();
    kubectl_smi()
        .env("SMI_VALUES", example("values-aws.yaml"))
        .write_stdin(input)
        .assert()
        .success();
}

#[test]
fn helm3_shows_stderr_so_a_missing_values_file_is_explained_there() {
    let input = std::fs::read_to_string(example("rendered-helm3.yaml")).unwrap();
    kubectl_smi()
        .write_stdin(input)
        .assert()
        .code(1)
        .stdout("")
        .stderr(predicates::str::contains("no values file given"))
        .stderr(predicates::str::contains("SMI_VALUES"));
}

/// plugin.yaml with only the fields Helm 4.1 accepts (it rejects unknown ones).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
struct Plugin {
    api_version: String,
    #[serde(rename = "type")]
    kind: String,
    name: String,
    version: String,
    runtime: String,
    #[serde(rename = "sourceURL")]
    source_url: Option<String>,
    config: Option<serde_json::Value>,
    runtime_config: RuntimeConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RuntimeConfig {
    platform_command: Vec<PlatformCommand>,
    platform_hooks: Option<PlatformHooks>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PlatformHooks {
    install: Option<Vec<PlatformCommand>>,
    update: Option<Vec<PlatformCommand>>,
    delete: Option<Vec<PlatformCommand>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PlatformCommand {
    os: Option<String>,
    arch: Option<String>,
    command: String,
    #[serde(default)]
    args: Vec<String>,
}

fn plugin() -> Plugin {
    let text = std::fs::read_to_string(repo().join("plugin.yaml")).unwrap();
    serde_saphyr::from_str(&text).expect("plugin.yaml has only fields Helm 4.1 accepts")
}

/// Helm 4 splits `command` on spaces and expands ${HELM_PLUGIN_DIR}.
fn helm4_argv(
    command: &PlatformCommand,
    plugin_dir: &Path,
    post_renderer_args: &[String],
) -> Vec<String> {
    let expanded = command
        .command
        .replace("${HELM_PLUGIN_DIR}", plugin_dir.to_str().unwrap());
    let mut argv: Vec<String> = expanded.split(' ').map(str::to_owned).collect();
    argv.extend(command.args.iter().cloned());
    argv.extend(post_renderer_args.iter().cloned());
    argv
}

/// Installs the plugin the way `helm plugin install <dir>` does: the plugin directory, then
/// the install hook (which finds kubectl-smi on PATH).
fn install_plugin(plugin_dir: &Path, path_dir: &Path) {
    std::fs::create_dir_all(plugin_dir.join("scripts")).unwrap();
    std::fs::copy(repo().join("plugin.yaml"), plugin_dir.join("plugin.yaml")).unwrap();
    std::fs::copy(
        repo().join("scripts/helm-plugin-install.sh"),
        plugin_dir.join("scripts/helm-plugin-install.sh"),
    )
    .unwrap();
    std::fs::create_dir_all(path_dir).unwrap();
    std::os::unix::fs::symlink(binary(), path_dir.join("kubectl-smi")).unwrap();
    let hooks = plugin()
        .runtime_config
        .platform_hooks
        .expect("an install hook");
    for hook in hooks.install.expect("an install hook") {
        let argv = helm4_argv(&hook, plugin_dir, &[]);
        let status = Command::new(&argv[0])
            .args(&argv[1..])
            .env("HELM_PLUGIN_DIR", plugin_dir)
            .env("HELM_PLUGIN_NAME", "kubectl-smi")
            .env("PATH", format!("{}:/usr/bin:/bin", path_dir.display()))
            .status()
            .expect("the install hook runs");
        assert!(status.success(), "install hook failed");
    }
}

fn run_as_helm4(
    plugin_dir: &Path,
    input: &[u8],
    args: &[String],
    env: &[(&str, &Path)],
) -> std::process::Output {
    let plugin = plugin();
    let argv = helm4_argv(&plugin.runtime_config.platform_command[0], plugin_dir, args);
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .env("HELM_PLUGIN_NAME", "kubectl-smi")
        .env("HELM_PLUGIN_DIR", plugin_dir)
        .env("SMI_NO_TTY", "1")
        .env_remove("SMI_LOG_FILE")
        // The log of calls that name no place of their own stays out of the user's home.
        .env("XDG_STATE_HOME", plugin_dir.join("state"))
        .env_remove("SMI_VALUES")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("the plugin command runs");
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn plugin_yaml_declares_a_helm4_postrenderer_named_kubectl_smi() {
    let plugin = plugin();
    assert_eq!(plugin.api_version, "v1");
    assert_eq!(plugin.kind, "postrenderer/v1");
    assert_eq!(plugin.name, "kubectl-smi");
    assert_eq!(plugin.runtime, "subprocess");
    assert_eq!(
        plugin.version,
        env!("CARGO_PKG_VERSION"),
        "plugin version follows the crate"
    );
    assert!(
        plugin.version.split('.').count() == 3
            && plugin.version.split('.').all(|p| p.parse::<u64>().is_ok())
    );
}

#[test]
fn helm4_runs_the_installed_plugin_and_reads_back_every_document_with_its_filename() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("plugins/kubectl-smi");
    install_plugin(&plugin_dir, &dir.path().join("path"));
    let input = std::fs::read(example("rendered-helm4.yaml")).unwrap();
    let args = vec![format!("--values={}", example("values-aws.yaml").display())];
    let text = ok_output(&run_as_helm4(&plugin_dir, &input, &args, &[]));
    assert!(
        !text.is_empty(),
        "Helm 4 treats an empty output as an error"
    );
    let before = helm4_documents(&String::from_utf8(input).unwrap());
    let after = helm4_documents(&text);
    assert!(after.len() >= before.len());
    for (a, b) in before.iter().zip(&after) {
        assert_eq!(
            a["metadata"]["annotations"][FILENAME], b["metadata"]["annotations"][FILENAME],
            "the filename annotation is kept unchanged"
        );
    }
}

#[test]
fn under_helm4_an_error_reaches_the_log_file_although_stderr_is_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("plugins/kubectl-smi");
    install_plugin(&plugin_dir, &dir.path().join("path"));
    let state = dir.path().join("state");
    let args = vec![format!("--values={}", example("values-aws.yaml").display())];
    let out = run_as_helm4(
        &plugin_dir,
        b"apiVersion: v1\nmetadata: {name: x}\n",
        &args,
        &[("XDG_STATE_HOME", &state)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let log = std::fs::read_to_string(state.join("kubectl-smi/kubectl-smi.log"))
        .expect("the error log is written");
    assert!(log.contains("the object has no kind"), "{log}");
    assert!(log.contains("hint:"), "{log}");
}

/// The example's Helm 4 stream split as Helm 4's `separate` strategy splits it: the hooks,
/// then the rest.
fn separate_calls() -> (String, String) {
    let text = std::fs::read_to_string(example("rendered-helm4.yaml")).unwrap();
    let (mut hooks, mut rest) = (String::new(), String::new());
    for doc in text.split("---\n").filter(|d| !d.trim().is_empty()) {
        let target = if doc.contains("\"helm.sh/hook\":") {
            &mut hooks
        } else {
            &mut rest
        };
        target.push_str("---\n");
        target.push_str(doc);
    }
    (hooks, rest)
}

#[test]
fn under_helm4_the_log_keeps_every_call_of_a_run_with_its_header_warnings_and_changes() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("plugins/kubectl-smi");
    install_plugin(&plugin_dir, &dir.path().join("path"));
    let state = dir.path().join("state");
    let (hooks, rest) = separate_calls();
    let args = vec![format!("--values={}", example("values-aws.yaml").display())];
    // Undeclared `separate`: the hooks call is quiet, the manifests call warns.
    for input in [&hooks, &rest] {
        let out = run_as_helm4(
            &plugin_dir,
            input.as_bytes(),
            &args,
            &[("XDG_STATE_HOME", &state)],
        );
        assert_eq!(out.status.code(), Some(0));
    }
    let log = std::fs::read_to_string(state.join("kubectl-smi/kubectl-smi.log")).unwrap();
    let headers: Vec<&str> = log.lines().filter(|l| l.starts_with("# 20")).collect();
    assert_eq!(headers.len(), 2, "{log}");
    for header in &headers {
        assert!(header.contains(" strategy combined: "), "{header}");
        assert!(header.contains(" pid "), "{header}");
        assert!(header.contains("--values="), "{header}");
    }
    let second = &log[log.rfind("\n# 20").unwrap()..];
    assert!(
        second.contains("warning: service accounts of the guide's table missing")
            && second.contains("--post-render-strategy=separate")
            && second.contains("\n  Lost: ")
            && second.contains("\n  To do: "),
        "{second}"
    );
    assert!(
        !log[..log.rfind("\n# 20").unwrap()].contains("warning:"),
        "{log}"
    );
    assert_eq!(log.matches("post-rendered: ").count(), 2, "{log}");
    assert!(
        log.contains("changed ServiceAccount/filesvc-migrations [identity]"),
        "{log}"
    );
}

#[test]
fn under_helm4_a_log_past_one_mebibyte_moves_to_dot_1_before_a_call_appends() {
    let dir = tempfile::tempdir().unwrap();
    let plugin_dir = dir.path().join("plugins/kubectl-smi");
    install_plugin(&plugin_dir, &dir.path().join("path"));
    let log = dir.path().join("smi.log");
    let old = "x".repeat(1024 * 1024 + 1);
    std::fs::write(&log, &old).unwrap();
    let args = vec![
        format!("--values={}", example("values-aws.yaml").display()),
        "--post-render-strategy=separate".to_owned(),
    ];
    let out = run_as_helm4(
        &plugin_dir,
        separate_calls().0.as_bytes(),
        &args,
        &[("SMI_LOG_FILE", &log)],
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("smi.log.1")).unwrap(),
        old
    );
    let fresh = std::fs::read_to_string(&log).unwrap();
    assert!(
        fresh.starts_with("# 20") && fresh.contains(" strategy separate: "),
        "{fresh}"
    );
}

#[test]
fn under_helm4_an_error_reaches_the_controlling_terminal() {
    if !script_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: v1\nmetadata: {name: x}\n").unwrap();
    // The child's stderr goes to /dev/null (as Helm 4 does); only /dev/tty can carry it.
    let inner = format!(
        "HELM_PLUGIN_NAME=kubectl-smi SMI_LOG_FILE={log} {bin} --values={values} < {bad} 2>/dev/null",
        log = dir.path().join("log").display(),
        bin = binary().display(),
        values = example("values-aws.yaml").display(),
        bad = bad.display()
    );
    let out = Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .output()
        .unwrap();
    let terminal = String::from_utf8_lossy(&out.stdout);
    assert!(
        terminal.contains("the object has no kind"),
        "terminal showed: {terminal}"
    );
    assert!(
        terminal.contains(&dir.path().join("log").display().to_string()),
        "the log path is named: {terminal}"
    );
}

#[test]
fn the_post_render_strategy_is_an_option_of_render_and_of_the_no_command_form() {
    let (hooks, rest) = separate_calls();
    let values = format!("--values={}", example("values-aws.yaml").display());
    for command in [&["render"][..], &[][..]] {
        // Undeclared, --strict fails the manifests call of `separate` and names the option.
        let out = kubectl_smi()
            .args(command)
            .args([values.as_str(), "--strict"])
            .write_stdin(rest.clone())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("pass --post-render-strategy=separate"),
            "{stderr}"
        );
        // Declared, both calls pass.
        for input in [&hooks, &rest] {
            let out = kubectl_smi()
                .args(command)
                .args([
                    values.as_str(),
                    "--strict",
                    "--post-render-strategy=separate",
                ])
                .write_stdin(input.clone())
                .output()
                .unwrap();
            assert_eq!(
                out.status.code(),
                Some(0),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(
                out.stderr.is_empty(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let out = kubectl_smi()
            .args(command)
            .args([values.as_str(), "--post-render-strategy=both"])
            .write_stdin(rest.clone())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "a usage error");
        assert!(String::from_utf8_lossy(&out.stderr).contains("combined, separate, nohooks"));
    }
}
