//! The manifest stream as Kubernetes' YAML 1.1 reader sees it: untouched documents leave
//! byte for byte; re-written ones mean exactly what they meant (PyYAML is the oracle).

use std::path::{Path, PathBuf};

use crate::support::{example, kubectl_smi, python_has, repo, shared_data};

fn corpora() -> Vec<PathBuf> {
    let Some(dir) = shared_data("corpora") else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for sub in [dir.clone(), dir.join("kube-prometheus")] {
        for entry in std::fs::read_dir(&sub).expect("corpora are readable") {
            let path = entry.expect("a directory entry").path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn examples() -> Vec<PathBuf> {
    vec![
        example("rendered-helm3.yaml"),
        example("rendered-helm4.yaml"),
    ]
}

fn render(input: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    kubectl_smi()
        .args(["render", "-f"])
        .arg(example("values-aws.yaml"))
        .args(extra)
        .pipe_stdin(input)
        .expect("input is readable")
        .assert()
}

#[test]
fn real_world_streams_that_match_nothing_leave_byte_for_byte() {
    // The example values name the platform's service accounts, workloads and Services;
    // nothing in these corpora is one of them.
    for input in &corpora() {
        let output = render(input, &[]).success().get_output().stdout.clone();
        let original = std::fs::read(input).expect("readable");
        assert!(
            output == original,
            "{} changed on a pass-through",
            input.display()
        );
    }
}

/// Re-writes every document (`--rewrite-all`) and asks PyYAML whether each still means
/// what it meant.
fn assert_oracle_agrees(input: &Path) {
    assert_oracle_agrees_with(input, &["--rewrite-all"], &input.display().to_string());
}

/// Renders `input` with `extra` arguments and asks PyYAML whether each output document means
/// the input's plus exactly the recorded changes (`case` names the run in a failure).
fn assert_oracle_agrees_with(input: &Path, extra: &[&str], case: &str) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let explain = dir.path().join("explain.json");
    let mut args = extra.to_vec();
    args.extend([
        "--explain=json",
        "--explain-file",
        explain.to_str().unwrap(),
    ]);
    let output = render(input, &args).success().get_output().stdout.clone();
    let out_path = dir.path().join("out.yaml");
    std::fs::write(&out_path, &output).expect("writable");
    let oracle = std::process::Command::new("python3")
        .arg(repo().join("tests/oracle/yaml11_oracle.py"))
        .arg(input)
        .arg(&out_path)
        .arg(&explain)
        .output()
        .expect("python3 runs");
    let report = String::from_utf8_lossy(&oracle.stdout);
    assert!(
        oracle.status.success(),
        "{case}: {report}{}\n--- output:\n{}",
        String::from_utf8_lossy(&oracle.stderr),
        String::from_utf8_lossy(&output)
    );
    eprintln!("{case}: {}", report.trim());
}

#[test]
fn rewritten_examples_mean_to_pyyaml_what_they_meant() {
    if !python_has("yaml") || !python_has("jsonpatch") {
        return;
    }
    for input in examples() {
        assert_oracle_agrees(&input);
    }
}

#[test]
fn rewritten_real_world_corpora_mean_to_pyyaml_what_they_meant() {
    if !python_has("yaml") || !python_has("jsonpatch") {
        return;
    }
    for input in corpora() {
        if input.ends_with("setup_0alertmanagerConfigCustomResourceDefinition.yaml") {
            // PyYAML refuses its `=` key (a YAML 1.1 value key Go readers accept); the
            // pass-through test covers it byte for byte.
            continue;
        }
        assert_oracle_agrees(&input);
    }
}

#[test]
fn yaml_1_1_lookalike_strings_stay_strings_when_their_document_is_rewritten() {
    let out = render(&example("rendered-helm3.yaml"), &["--rewrite-all"])
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out).expect("utf-8");
    for line in [
        "telemetry: \"on\"",
        "strictMode: \"yes\"",
        "retries: \"n\"",
        "umask: \"0755\"",
        "maxItems: \"1_000\"",
        "threshold: \"1e3\"",
        "releaseDate: \"2001-12-14\"",
        "nothing: \"~\"",
        "empty: \"null\"",
        "banner.txt: |+",
    ] {
        assert!(
            text.contains(line),
            "missing {line:?} in the re-written ConfigMap"
        );
    }
}

#[test]
fn source_comments_and_filename_annotations_survive_a_rewrite() {
    for (input, marker) in [
        ("rendered-helm3.yaml", "# Source: "),
        (
            "rendered-helm4.yaml",
            "postrenderer.helm.sh/postrender-filename: ",
        ),
    ] {
        let original = std::fs::read_to_string(example(input)).unwrap();
        let out = render(&example(input), &["--rewrite-all"])
            .success()
            .get_output()
            .stdout
            .clone();
        let text = String::from_utf8(out).unwrap();
        let lines = |t: &str| {
            t.lines()
                .filter(|l| l.contains(marker))
                .map(str::trim)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        let (before, after) = (lines(&original), lines(&text));
        assert_eq!(after[..before.len()], before[..], "{input}");
        assert!(
            after[before.len()..]
                .iter()
                .all(|l| l.contains("kubectl-smi/")),
            "{input}: {after:?}"
        );
    }
}

#[test]
fn a_twenty_megabyte_stream_of_thousands_of_documents_passes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    let mut text = String::new();
    let mut i = 0;
    while text.len() < 20 * 1024 * 1024 {
        text.push_str(&format!(
            "---\n# Source: big/templates/cm-{i}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  on: \"yes\"\n  payload: |\n{}\n",
            "    0755 1e3 ~ null y n\n".repeat(120)
        ));
        i += 1;
    }
    std::fs::write(&path, &text).unwrap();
    let out = render(&path, &[]).success().get_output().stdout.clone();
    assert!(
        out == text.as_bytes(),
        "{i} documents: output differs from input"
    );
    assert!(i > 5_000, "only {i} documents");
}

#[test]
fn merge_keys_mean_to_pyyaml_what_they_meant_when_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("merge.yaml");
    std::fs::write(
        &input,
        "---\n# Source: other/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: merged\n  labels: &labels\n    app: other\n    tier: 'on'\ndata:\n  defaults: &defaults {mode: '0755', retries: '3'}\n  <<: [*defaults, {retries: '5', extra: x}]\n  mode: '0644'\n",
    )
    .unwrap();
    assert_oracle_agrees(&input);
}

/// A Deployment running as aisvc (so the post-renderer adds `envFrom` after its `env`),
/// whose env value is a block scalar written `indicator`, followed in the document by
/// `after` (nothing when the scalar ends the document).
fn block_scalar_deployment(name: &str, indicator: &str, after: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  template:\n    spec:\n      serviceAccountName: aisvc\n      containers:\n        - name: app\n          env:\n            - name: CFG\n              value: {indicator}\n                line one\n                  indented\n\n                last line\n{after}"
    )
}

#[test]
fn block_scalars_keep_their_value_wherever_they_sit() {
    if !python_has("yaml") || !python_has("jsonpatch") {
        eprintln!(
            "SKIPPED: PyYAML and jsonpatch are needed (pip install -r tests/requirements.txt)"
        );
        return;
    }
    let dir = tempfile::tempdir().expect("a temp dir");
    for style in ["|", ">"] {
        for chomping in ["", "-", "+"] {
            let indicator = format!("{style}{chomping}");
            // In the middle of a document, at the end of a document followed by another, and
            // at the very end of the input with and without its final line break (and with
            // blank lines after it, which keep chomping keeps).
            let middle = block_scalar_deployment(
                "middle",
                &indicator,
                "              # after\n          image: app:1\n",
            );
            let end_of_document = block_scalar_deployment("end-of-document", &indicator, "");
            let last = block_scalar_deployment("last", &indicator, "");
            let stream = format!("{middle}---\n{end_of_document}---\n{last}");
            for (variant, text) in [
                ("final-newline", stream.clone()),
                ("no-final-newline", stream.trim_end_matches('\n').to_owned()),
                ("blank-lines-after", format!("{stream}\n\n")),
            ] {
                let input = dir.path().join(format!(
                    "in-{chomping}{}-{variant}.yaml",
                    if style == "|" { "literal" } else { "folded" }
                ));
                std::fs::write(&input, &text).expect("writable");
                assert_oracle_agrees_with(&input, &[], &format!("{indicator} {variant}"));
            }
        }
    }
}

#[test]
fn a_block_scalar_ending_the_input_keeps_its_value_when_objects_are_added_after_it() {
    // The last document is no filter's: written as it was, except that the line break
    // before the objects render adds would give its last scalar a line break it did not
    // have; every block scalar style and chomping indicator keeps its value.
    for indicator in ["|", "|-", "|+", ">", ">-", "|2"] {
        let mut input = std::fs::read_to_string(example("rendered-helm3.yaml")).unwrap();
        input.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: last\ndata:\n  cfg: {indicator}\n    line1\n    line2"
        ));
        let expected = kubectl_smi::stream::Stream::parse(input.clone(), Default::default())
            .map(|mut s| {
                let last = *s.objects().last().unwrap();
                s.json(last).unwrap()["data"]["cfg"].clone()
            })
            .unwrap();
        let out = kubectl_smi()
            .args(["render", "-f"])
            .arg(example("values-aws.yaml"))
            .write_stdin(input)
            .assert()
            .success();
        let output = String::from_utf8(out.get_output().stdout.clone()).unwrap();
        let mut stream = kubectl_smi::stream::Stream::parse(output, Default::default()).unwrap();
        let last = stream
            .objects()
            .into_iter()
            .find(|o| stream.header(*o).name.as_deref() == Some("last"))
            .expect("the ConfigMap is in the output");
        assert_eq!(
            stream.json(last).unwrap()["data"]["cfg"],
            expected,
            "indicator {indicator}"
        );
    }
}
