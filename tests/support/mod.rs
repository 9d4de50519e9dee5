//! Helpers shared by the integration tests: where the repository and the upstream test data
//! are, how to run the real binary and other programs, golden files, and the doubles the
//! tests talk to (`cluster`: the API server double with a kubeconfig; `aws`: moto's server
//! and an EKS stub).

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::Output;

pub mod aws;
pub mod cluster;
pub mod golden;
pub mod helm4;
pub mod kube_schema;

/// The repository root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `../shared/<relative>` beside the repository, or None with a visible skip message (CI has
/// it; a bare clone may not).
pub fn shared(relative: &str) -> Option<PathBuf> {
    let path = repo().join("../shared").join(relative);
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

/// `../shared/data/<relative>`: upstream CRDs and real-world manifests.
pub fn shared_data(relative: &str) -> Option<PathBuf> {
    shared(&format!("data/{relative}"))
}

/// The installation guide, `../shared/spec/smi-installation.md`.
pub fn guide() -> Option<String> {
    let path = shared("spec/smi-installation.md")?;
    Some(std::fs::read_to_string(path).unwrap())
}

/// The example file `examples/<name>`.
pub fn example(name: &str) -> PathBuf {
    repo().join("examples").join(name)
}

/// The text of the example values file `examples/<name>` without its `smi.secrets` section
/// (the last one), for tests that write a section of their own or need no backup target.
pub fn example_text_without_secrets(name: &str) -> String {
    let text = std::fs::read_to_string(example(name)).expect("the examples exist");
    let (before, after) = text
        .split_once("\n  secrets:\n")
        .unwrap_or_else(|| panic!("examples/{name} has a secrets section"));
    assert!(
        after.lines().all(|l| l.is_empty() || l.starts_with("    ")),
        "the secrets section of examples/{name} is the last of smi:"
    );
    format!("{before}\n")
}

/// [`example_text_without_secrets`] as a file (in the tests' scratch directory of target/).
pub fn example_without_secrets(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("examples-without-secrets");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    // Test processes run in parallel: each writes its own file and renames it into place.
    let own = dir.join(format!("{name}.{}", std::process::id()));
    std::fs::write(&own, example_text_without_secrets(name)).unwrap();
    std::fs::rename(&own, &path).unwrap();
    path
}

/// The path of the built kubectl-smi binary.
pub fn binary() -> PathBuf {
    assert_cmd::cargo::cargo_bin("kubectl-smi")
}

/// A command running the real kubectl-smi binary. Its post-render warnings go to a log
/// file of the tests (not the user's) and never to the terminal the tests run in; a test of
/// either sets its own SMI_LOG_FILE or removes SMI_NO_TTY.
pub fn kubectl_smi() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("kubectl-smi").expect("the binary is built");
    cmd.env("SMI_NO_TTY", "1")
        .env(
            "SMI_LOG_FILE",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("kubectl-smi-tests.log"),
        )
        .env_remove("SMI_VALUES")
        .env_remove("HELM_PLUGIN_NAME")
        .env_remove("HELM_PLUGIN_DIR")
        .env_remove("KUBECONFIG")
        .timeout(std::time::Duration::from_secs(120));
    cmd
}

/// A command the tests run: kubectl-smi (`assert_cmd`) or another program (`std`).
pub trait Run {
    fn run(&mut self) -> Output;
    /// What runs, for failure messages.
    fn describe(&self) -> String;
}

impl Run for assert_cmd::Command {
    fn run(&mut self) -> Output {
        self.output().expect("kubectl-smi starts")
    }

    fn describe(&self) -> String {
        "kubectl-smi".to_owned()
    }
}

impl Run for std::process::Command {
    fn run(&mut self) -> Output {
        self.output()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", self.describe()))
    }

    fn describe(&self) -> String {
        std::iter::once(self.get_program())
            .chain(self.get_args())
            .map(|a| a.to_string_lossy())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Runs `cmd`, fails the test unless it exits 0 (showing the command, its stdout and its
/// stderr), and returns its stdout.
pub fn ok(cmd: &mut impl Run) -> String {
    let output = cmd.run();
    assert!(
        output.status.success(),
        "{}: {}",
        cmd.describe(),
        text(&output)
    );
    stdout(&output)
}

/// Fails the test unless `output` is of a command that exited 0 (showing its stdout and its
/// stderr), and returns its stdout.
pub fn ok_output(output: &Output) -> String {
    assert!(output.status.success(), "{}", text(output));
    stdout(output)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

/// The exit status, stdout and stderr of a command, for messages.
pub fn text(output: &Output) -> String {
    format!(
        "status: {}\n--- stdout\n{}--- stderr\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A current-thread tokio runtime, for the tests that call the library's async code or an
/// AWS SDK client.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// A port on `ip` where nothing listens (bound, then released): connections are refused.
pub fn closed_port(ip: Ipv4Addr) -> u16 {
    TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Whether `program args` runs and exits 0; prints `SKIPPED: {missing}` when not.
pub fn available(program: &str, args: &[&str], missing: &str) -> bool {
    let ok = std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIPPED: {missing}");
    }
    ok
}

/// Whether python3 can import `module`; prints a skip message when not.
pub fn python_has(module: &str) -> bool {
    available(
        "python3",
        &["-c", &format!("import {module}")],
        &format!(
            "python3 module {module} is not installed (pip install -r tests/requirements.txt)"
        ),
    )
}

/// Whether kubectl is installed; prints a skip message when not.
pub fn kubectl_available() -> bool {
    available(
        "kubectl",
        &["version", "--client"],
        "kubectl is not installed",
    )
}

/// Whether util-linux `script` (which runs a command on a pseudo-terminal) is installed;
/// prints a skip message when not.
pub fn script_available() -> bool {
    available(
        "script",
        &["--version"],
        "util-linux `script` (a pseudo-terminal for the command) is not installed",
    )
}
