//! The real Helm 4 engine (Helm v4.2.3 as a C library, PyPI helm-python-sdk==0.2.2) through
//! tests/helm4/helm4.py: one Python process per batch of requests (see the script's
//! docstring for the operations and their answers).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use super::repo;

pub fn helper() -> PathBuf {
    repo().join("tests/helm4/helm4.py")
}

/// Whether the engine loads; prints a visible SKIPPED line when it does not.
pub fn available() -> bool {
    let out = assert_cmd::Command::new("python3")
        .arg(helper())
        .arg("--probe")
        .timeout(Duration::from_secs(120))
        .output();
    match out {
        Ok(o) if o.status.success() => true,
        Ok(o) => {
            eprintln!(
                "SKIPPED: the Helm 4 engine (helm-python-sdk==0.2.2) is not usable, pip install -r tests/requirements.txt: {}",
                String::from_utf8_lossy(&o.stdout).trim()
            );
            false
        }
        Err(e) => {
            eprintln!("SKIPPED: python3 cannot run tests/helm4/helm4.py: {e}");
            false
        }
    }
}

/// One batch of requests (one engine process per HELM_PLUGINS folder); the answers in
/// request order. The post-renderers Helm starts inherit `env`.
pub fn run(requests: &[Value], env: &[(&str, &Path)]) -> Vec<Value> {
    let mut cmd = assert_cmd::Command::new("python3");
    cmd.arg(helper())
        .env_remove("SMI_VALUES")
        .env_remove("HELM_PLUGIN_NAME")
        .env_remove("HELM_PLUGIN_DIR")
        .timeout(Duration::from_secs(300));
    for (key, value) in env {
        cmd.env(key, value);
    }
    let batch = json!({"timeout_seconds": 240, "requests": requests});
    let out = cmd
        .write_stdin(serde_json::to_vec(&batch).unwrap())
        .output()
        .expect("the helper runs within its time limit");
    assert!(
        out.status.success(),
        "helm4.py exited with {:?}: {}{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<Value> = serde_json::from_slice(&out.stdout).expect("JSON answers");
    assert_eq!(answers.len(), requests.len());
    answers
}

/// The documents of a YAML stream, without empty ones.
pub fn documents(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text)
        .expect("the stream parses")
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

/// Fresh HOME and XDG folders under `dir`, so that neither Helm nor the post-renderer reads
/// or writes the user's.
pub fn isolated_env(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let env: Vec<(&'static str, PathBuf)> = [
        ("HOME", "home"),
        ("XDG_STATE_HOME", "state"),
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_DATA_HOME", "data"),
    ]
    .into_iter()
    .map(|(key, sub)| (key, dir.join(sub)))
    .collect();
    for (_, path) in &env {
        std::fs::create_dir_all(path).unwrap();
    }
    // The post-renderer's warnings stay off the terminal the tests run in.
    let mut env = env;
    env.push(("SMI_NO_TTY", PathBuf::from("1")));
    env
}

/// `env` as `run` takes it.
pub fn env_refs<'a>(env: &'a [(&'static str, PathBuf)]) -> Vec<(&'static str, &'a Path)> {
    env.iter().map(|(k, v)| (*k, v.as_path())).collect()
}

/// Runs the plugin's install hook as `helm plugin install` does (HELM_PLUGIN_DIR and
/// HELM_PLUGIN_NAME set, commands split on spaces, `${HELM_PLUGIN_DIR}` expanded), with
/// `path` as PATH; returns the hook's output, or panics when it fails.
pub fn run_install_hook(plugin_dir: &Path, path: &str) -> String {
    let manifest: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(plugin_dir.join("plugin.yaml")).unwrap())
            .expect("plugin.yaml parses");
    let hook = expand(
        plugin_dir,
        &manifest["runtimeConfig"]["platformHooks"]["install"][0]["command"],
    );
    let argv: Vec<&str> = hook.split(' ').collect();
    let out = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .env("HELM_PLUGIN_DIR", plugin_dir)
        .env("HELM_PLUGIN_NAME", "kubectl-smi")
        .env("PATH", path)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the install hook runs");
    let text = super::text(&out);
    assert!(out.status.success(), "the install hook failed: {text}");
    text
}

/// Where plugin.yaml's platformCommand points, `${HELM_PLUGIN_DIR}` expanded.
pub fn platform_command(plugin_dir: &Path) -> PathBuf {
    let manifest: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(plugin_dir.join("plugin.yaml")).unwrap())
            .expect("plugin.yaml parses");
    PathBuf::from(expand(
        plugin_dir,
        &manifest["runtimeConfig"]["platformCommand"][0]["command"],
    ))
}

fn expand(plugin_dir: &Path, command: &Value) -> String {
    command
        .as_str()
        .expect("a command string")
        .replace("${HELM_PLUGIN_DIR}", plugin_dir.to_str().unwrap())
}
