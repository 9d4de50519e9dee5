//! Helpers shared by the integration tests: where the upstream test data is, and how to run
//! the real binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/data/<relative>` beside the repository, or None with a visible skip message
/// (CI has it; a bare clone may not).
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    let path = repo().join("../shared/data").join(relative);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "SKIPPED: {} is absent (tests against upstream data need ../shared beside the repository)",
            path.display()
        );
        None
    }
}

/// The example file `examples/<name>`.
pub fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

/// A command running the real kubectl-smi binary.
pub fn kubectl_smi() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("kubectl-smi").expect("the binary is built");
    cmd.env_remove("SMI_VALUES")
        .env_remove("HELM_PLUGIN_NAME")
        .env_remove("HELM_PLUGIN_DIR")
        .env_remove("KUBECONFIG")
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

/// Whether python3 can import `module`; prints a skip message when not.
pub fn python_has(module: &str) -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!(
            "SKIPPED: python3 module {module} is not installed (pip install -r tests/requirements.txt)"
        );
    }
    ok
}
