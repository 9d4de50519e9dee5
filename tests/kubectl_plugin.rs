//! kubectl finds and runs kubectl-smi as the plugin `smi`.

use std::process::Command;

use crate::support::{binary, kubectl_available, ok, ok_output};

/// A PATH holding kubectl's own directory and a directory with only kubectl-smi in it.
fn plugin_path(dir: &std::path::Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(binary(), bin.join("kubectl-smi")).unwrap();
    let kubectl = which("kubectl");
    format!("{}:{}", bin.display(), kubectl.parent().unwrap().display())
}

fn which(program: &str) -> std::path::PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap())
        .map(|d| d.join(program))
        .find(|p| p.is_file())
        .expect("on PATH")
}

#[test]
fn kubectl_plugin_list_shows_kubectl_smi_without_warnings() {
    if !kubectl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("kubectl")
        .args(["plugin", "list"])
        .env("PATH", plugin_path(dir.path()))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    let stdout = ok_output(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stdout.contains("/bin/kubectl-smi"), "{stdout}");
    assert!(!stderr.to_lowercase().contains("warning"), "{stderr}");
}

#[test]
fn kubectl_smi_version_runs_through_kubectl() {
    if !kubectl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let stdout = ok(Command::new("kubectl")
        .args(["smi", "version"])
        .env("PATH", plugin_path(dir.path()))
        .env("HOME", dir.path()));
    assert_eq!(
        stdout,
        format!("kubectl-smi {}\n", env!("CARGO_PKG_VERSION"))
    );
}
