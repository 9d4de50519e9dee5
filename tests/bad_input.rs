//! Malformed manifest streams: a clear error naming the document and line, exit code 1, and
//! nothing at all on standard output. Never a panic, never a hang (each run has a timeout).

use crate::support::{example, kubectl_smi, ok, ok_output};

fn run_bad(input: Vec<u8>) -> (i32, String, Vec<u8>) {
    let output = kubectl_smi()
        .args(["render", "-f"])
        .arg(example("values-aws.yaml"))
        .write_stdin(input)
        .output()
        .expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.stdout,
    )
}

fn alias_bomb() -> String {
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for i in 1..=12 {
        let prev = i - 1;
        text.push_str(&format!(
            "  a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    text
}

fn nesting_bomb(depth: usize) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n  x: {}{}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    )
}

const GOOD: &str = "---\n# Source: chart/templates/ok.yaml\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ok\n";

/// (case, input, fragments the error must contain)
fn cases() -> Vec<(&'static str, Vec<u8>, Vec<&'static str>)> {
    vec![
        (
            "unclosed flow sequence",
            format!("{GOOD}---\n# Source: chart/templates/bad.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: x\n").into_bytes(),
            vec!["document 2", "chart/templates/bad.yaml", "line 11, column 11", "invalid YAML"],
        ),
        (
            "bad indentation",
            format!("{GOOD}---\napiVersion: v1\nkind: ConfigMap\n  metadata: x\n").into_bytes(),
            vec!["document 2", "line 10, column 11", "invalid YAML"],
        ),
        (
            "tab indentation",
            format!("{GOOD}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n\tname: x\n").into_bytes(),
            vec!["document 2", "line 11", "tabs", "invalid YAML"],
        ),
        (
            "no apiVersion",
            format!("{GOOD}---\n# Source: chart/templates/noapi.yaml\nkind: ConfigMap\nmetadata:\n  name: x\n").into_bytes(),
            vec!["document 2", "chart/templates/noapi.yaml", "line 7", "no apiVersion"],
        ),
        (
            "no kind",
            format!("{GOOD}---\napiVersion: v1\nmetadata:\n  name: x\n").into_bytes(),
            vec!["document 2", "no kind"],
        ),
        (
            "a list instead of an object",
            format!("{GOOD}---\n- a\n- b\n").into_bytes(),
            vec!["document 2", "is a list"],
        ),
        (
            "a plain value instead of an object",
            format!("{GOOD}---\njust text\n").into_bytes(),
            vec!["document 2", "single value"],
        ),
        (
            "a List item without kind",
            format!("{GOOD}---\napiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    metadata: {{name: x}}\n").into_bytes(),
            vec!["document 2", "item 0 of the List"],
        ),
        (
            "invalid UTF-8",
            [GOOD.as_bytes(), b"---\napiVersion: v1\nkind: ConfigMap\ndata:\n  x: \xff\xfe\n"].concat(),
            vec!["document 2", "line 11, column 6", "not valid UTF-8"],
        ),
        (
            "alias bomb",
            alias_bomb().into_bytes(),
            vec!["document 1", "expands to more than"],
        ),
        (
            "nesting bomb",
            nesting_bomb(10_000).into_bytes(),
            vec!["document 1", "nesting deeper than 128"],
        ),
        (
            "undefined alias",
            b"apiVersion: v1\nkind: ConfigMap\ndata:\n  x: *nothing\n".to_vec(),
            vec!["document 1", "line 4", "unknown anchor"],
        ),
    ]
}

#[test]
fn malformed_streams_fail_with_a_located_message_and_empty_stdout() {
    for (case, input, fragments) in cases() {
        let (code, stderr, stdout) = run_bad(input);
        assert_eq!(code, 1, "{case}: exit code; stderr: {stderr}");
        assert!(stdout.is_empty(), "{case}: something was written to stdout");
        assert!(!stderr.contains("panicked"), "{case}: panicked: {stderr}");
        for fragment in fragments {
            assert!(
                stderr.contains(fragment),
                "{case}: {fragment:?} not in: {stderr}"
            );
        }
        assert!(stderr.contains("hint:"), "{case}: no hint in: {stderr}");
    }
}

#[test]
fn a_hundred_megabyte_input_is_refused_without_reading_it_all() {
    let doc = "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  k: v\n";
    let input = doc.repeat(100 * 1024 * 1024 / doc.len() + 1).into_bytes();
    let (code, stderr, stdout) = run_bad(input);
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("larger than 67108864 bytes"), "{stderr}");
    assert!(stderr.contains("--max-input-bytes"), "{stderr}");
}

#[test]
fn empty_and_comment_only_documents_pass_through() {
    let input = format!("---\n# only a comment\n---\n---\n{GOOD}---\n\n");
    let output = ok(kubectl_smi()
        .args(["render", "-f"])
        .arg(example("values-aws.yaml"))
        .write_stdin(input.clone()));
    assert_eq!(output, input);
}

#[test]
fn an_empty_stream_comes_back_as_a_comment_helm4_accepts_as_no_document() {
    // Helm 4 calls the post-renderer with an empty stream for a chart that renders nothing
    // and refuses an empty output ("produced empty output").
    for input in ["", "\n \n"] {
        let output = kubectl_smi()
            .args(["render", "-f"])
            .arg(example("values-aws.yaml"))
            .write_stdin(input)
            .output()
            .unwrap();
        assert_eq!(ok_output(&output), "# kubectl-smi: no manifests\n");
        // In a pipe, an empty input is also what a failed `helm template` leaves.
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("warning: standard input held no manifests")
                && stderr.contains("set -o pipefail"),
            "{stderr}"
        );
    }
    // Under the separate strategy Helm 4 sends a release without hooks as an empty call:
    // nothing to warn about.
    let separate = kubectl_smi()
        .args(["render", "--post-render-strategy=separate", "-f"])
        .arg(example("values-aws.yaml"))
        .write_stdin("")
        .output()
        .unwrap();
    assert_eq!(ok_output(&separate), "# kubectl-smi: no manifests\n");
    assert!(
        separate.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&separate.stderr)
    );
}

#[test]
fn a_release_namespace_other_than_the_values_is_refused_before_the_stream_is_read() {
    let stream = std::fs::read(example("rendered-helm3.yaml")).unwrap();
    let refused = kubectl_smi()
        .args(["render", "--release-namespace", "staging", "-f"])
        .arg(example("values-aws.yaml"))
        .write_stdin(stream.clone())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    assert!(refused.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("the release installs into namespace staging, but the values' namespace is prod (from smi.namespace)")
            && stderr.contains("hint: install into the values' namespace"),
        "{stderr}"
    );
    let same = ok(kubectl_smi()
        .args(["render", "--release-namespace", "prod", "-f"])
        .arg(example("values-aws.yaml"))
        .write_stdin(stream.clone()));
    let without = ok(kubectl_smi()
        .args(["render", "-f"])
        .arg(example("values-aws.yaml"))
        .write_stdin(stream));
    assert_eq!(same, without, "the same namespace changes nothing");
}
