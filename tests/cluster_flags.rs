//! kubectl's connection flags and kubeconfig rules, through `secrets status` (read-only):
//! KUBECONFIG with several files, --context, --token, --as, --server, --request-timeout.

use std::path::Path;
use std::time::Duration;

use fake_apiserver::{FakeApiServer, Fault, Verb};

use crate::support::{self, ok_output, write_file};

fn status(values: &[&str], env: &[(&str, &Path)], home: &Path) -> std::process::Output {
    let mut cmd = support::kubectl_smi();
    cmd.args(["secrets", "status", "-f"])
        .arg(support::example("values-aws.yaml"))
        .args(values)
        .env("HOME", home)
        .env_remove("KUBERNETES_SERVICE_HOST");
    for (key, value) in env {
        cmd.env(key, value);
    }
    cmd.output().unwrap()
}

fn failed(output: &std::process::Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A kubeconfig whose current context points at a port nothing listens on.
const DEAD: &str = "apiVersion: v1\nkind: Config\ncurrent-context: dead\nclusters:\n- name: dead\n  cluster: {server: 'http://127.0.0.1:9'}\ncontexts:\n- name: dead\n  context: {cluster: dead, user: nobody}\nusers:\n- name: nobody\n  user: {}\n";

#[test]
fn kubeconfig_files_listed_in_kubeconfig_are_merged_first_one_winning() {
    let api = FakeApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    // The first file sets current-context "fake"; the context itself is in the second file.
    let first = write_file(
        dir.path(),
        "first",
        &DEAD.replace("current-context: dead", "current-context: fake"),
    );
    let second = write_file(dir.path(), "second", &api.kubeconfig());
    let joined = std::env::join_paths([&first, &dir.path().join("absent"), &second]).unwrap();
    let output = status(&[], &[("KUBECONFIG", Path::new(&joined))], dir.path());
    assert!(ok_output(&output).contains("20 missing"));
    assert!(!api.requests().is_empty());
}

#[test]
fn the_context_flag_picks_a_context_and_a_wrong_one_is_named() {
    let api = FakeApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let merged = DEAD
        .replace(
            "contexts:\n",
            "contexts:\n- name: fake\n  context: {cluster: fake, user: nobody}\n",
        )
        .replace(
            "clusters:\n",
            &format!(
                "clusters:\n- name: fake\n  cluster: {{server: '{}'}}\n",
                api.url()
            ),
        );
    let kubeconfig = write_file(dir.path(), "config", &merged);
    let k = kubeconfig.to_str().unwrap();

    let stderr = failed(&status(&["--kubeconfig", k], &[], dir.path()));
    assert!(
        stderr.contains("cannot reach the API server at http://127.0.0.1:9"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: check that the API server is reachable"),
        "{stderr}"
    );

    ok_output(&status(
        &["--kubeconfig", k, "--context", "fake"],
        &[],
        dir.path(),
    ));

    let stderr = failed(&status(
        &["--kubeconfig", k, "--context", "nope"],
        &[],
        dir.path(),
    ));
    assert!(
        stderr.contains("context \"nope\" is not in the kubeconfig"),
        "{stderr}"
    );

    ok_output(&status(
        &["--kubeconfig", k, "--cluster", "fake"],
        &[],
        dir.path(),
    ));
}

#[test]
fn token_and_impersonation_flags_reach_the_api_server() {
    let api = FakeApiServer::builder().token("s3cr3t-t0ken-value").start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = write_file(
        dir.path(),
        "config",
        &api.kubeconfig()
            .replace("{token: \"s3cr3t-t0ken-value\"}", "{}"),
    );
    let k = kubeconfig.to_str().unwrap();

    let stderr = failed(&status(&["--kubeconfig", k], &[], dir.path()));
    assert!(
        stderr.contains("Unauthorized (401 Unauthorized)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: your credentials were refused"),
        "{stderr}"
    );

    let output = status(
        &[
            "--kubeconfig",
            k,
            "--token",
            "s3cr3t-t0ken-value",
            "--as",
            "ops",
            "--as-group",
            "admins",
            "--as-group",
            "sre",
        ],
        &[],
        dir.path(),
    );
    ok_output(&output);
    let request = api.requests().into_iter().last().unwrap();
    assert_eq!(request.bearer_token.as_deref(), Some("s3cr3t-t0ken-value"));
    assert_eq!(request.impersonate_user.as_deref(), Some("ops"));
    assert_eq!(request.impersonate_groups, ["admins", "sre"]);
    assert!(!String::from_utf8_lossy(&output.stderr).contains("s3cr3t"));
}

#[test]
fn a_server_flag_works_without_any_kubeconfig() {
    let api = FakeApiServer::start();
    let home = tempfile::tempdir().unwrap();
    ok_output(&status(&["--server", &api.url()], &[], home.path()));
    let stderr = failed(&status(&[], &[], home.path()));
    assert!(stderr.contains("no cluster to talk to"), "{stderr}");
    assert!(
        stderr.contains(
            "hint: point at the cluster with --kubeconfig FILE, KUBECONFIG, or --server URL"
        ),
        "{stderr}"
    );
}

#[test]
fn the_request_timeout_is_kubectls() {
    let api = FakeApiServer::start();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = api.write_kubeconfig(&dir.path().join("config"));
    let k = kubeconfig.to_str().unwrap();
    let stderr = failed(&status(
        &["--kubeconfig", k, "--request-timeout", "soon"],
        &[],
        dir.path(),
    ));
    assert!(
        stderr.contains("--request-timeout \"soon\" is not a duration"),
        "{stderr}"
    );

    // The server answers after 20 s; without the timeout the command would succeed then.
    api.inject(Fault::on(&[Verb::Get]).delay(Duration::from_secs(20)));
    let stderr = failed(&status(
        &["--kubeconfig", k, "--request-timeout", "500ms"],
        &[],
        dir.path(),
    ));
    assert!(stderr.contains("cannot reach the API server"), "{stderr}");
    assert!(
        stderr.to_lowercase().contains("timed out") || stderr.to_lowercase().contains("timeout"),
        "{stderr}"
    );
}
