//! kubectl finds and runs kubectl-smi as the plugin `smi`.

mod support;

use std::process::Command;

fn kubectl_available() -> bool {
    let ok = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: kubectl is not installed");
    }
    ok
}

/// A PATH holding kubectl's own directory and a directory with only kubectl-smi in it.
fn plugin_path(dir: &std::path::Path) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(
        assert_cmd::cargo::cargo_bin("kubectl-smi"),
        bin.join("kubectl-smi"),
    )
    .unwrap();
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
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("/bin/kubectl-smi"), "{stdout}");
    assert!(!stderr.to_lowercase().contains("warning"), "{stderr}");
}

#[test]
fn kubectl_smi_version_runs_through_kubectl() {
    if !kubectl_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("kubectl")
        .args(["smi", "version"])
        .env("PATH", plugin_path(dir.path()))
        .env("HOME", dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("kubectl-smi {}\n", env!("CARGO_PKG_VERSION"))
    );
}
