//! Against the real Helm 4 engine (Helm v4.2.3 compiled as a C library, PyPI
//! helm-python-sdk==0.2.2, driven by tests/helm4/helm4.py): the examples are what the engine
//! makes of examples/chart/, and `helm install --dry-run=client` post-renders through the
//! repository's own plugin.yaml and the kubectl-smi binary under every post-render strategy.
//! Without the engine (pip install -r tests/requirements.txt) each test prints a SKIPPED line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::{example, kubectl_smi, repo};
use serde_json::{Value, json};

const VALUES: [&str; 3] = ["aws", "aws-irsa", "oci"];
const HOOK: &str = "helm.sh/hook";
const FILENAME: &str = "postrenderer.helm.sh/postrender-filename";

fn helper() -> PathBuf {
    repo().join("tests/helm4/helm4.py")
}

/// Whether the engine loads; prints a visible skip line when it does not.
fn engine_available() -> bool {
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

/// One batch of requests through the helper (one engine process per HELM_PLUGINS folder);
/// the answers in request order. The post-renderers Helm starts inherit `env`.
fn engine(requests: &[Value], env: &[(&str, &Path)]) -> Vec<Value> {
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

fn documents(text: &str) -> Vec<Value> {
    serde_saphyr::from_multiple::<Value>(text)
        .expect("the stream parses")
        .into_iter()
        .filter(|d| !d.is_null())
        .collect()
}

fn is_hook(doc: &Value) -> bool {
    doc["metadata"]["annotations"].get(HOOK).is_some()
}

#[test]
fn the_examples_are_what_helm4_makes_of_the_example_chart() {
    if !engine_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = assert_cmd::Command::new("python3")
        .arg(example("generate.py"))
        .arg("--out")
        .arg(dir.path())
        .timeout(Duration::from_secs(300))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "examples/generate.py failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in ["rendered-helm3.yaml", "rendered-helm4.yaml"] {
        let fresh = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let committed = std::fs::read_to_string(example(name)).unwrap();
        if fresh != committed {
            let line = fresh
                .lines()
                .zip(committed.lines())
                .position(|(a, b)| a != b)
                .map_or("at the end".to_owned(), |i| format!("at line {}", i + 1));
            panic!(
                "examples/{name} is not what the chart renders ({line}): run python3 examples/generate.py"
            );
        }
    }
}

#[test]
fn the_example_forms_are_the_ones_each_helm_hands_a_post_renderer() {
    let helm3 = std::fs::read_to_string(example("rendered-helm3.yaml")).unwrap();
    let helm4 = std::fs::read_to_string(example("rendered-helm4.yaml")).unwrap();
    let (docs3, docs4) = (documents(&helm3), documents(&helm4));
    assert_eq!(
        helm3
            .lines()
            .filter(|l| l.starts_with("# Source: "))
            .count(),
        docs3.len(),
        "every Helm 3 document has its # Source: comment"
    );
    assert!(docs3.iter().all(|d| !is_hook(d)), "Helm 3 gets no hooks");
    assert!(
        docs4
            .iter()
            .all(|d| d["metadata"]["annotations"][FILENAME].is_string())
    );
    let hooks: Vec<_> = docs4.iter().filter(|d| is_hook(d)).collect();
    assert_eq!(
        hooks.len(),
        8,
        "four migration Jobs and their service accounts"
    );
    assert_eq!(docs4.len(), docs3.len() + hooks.len());
}

#[test]
fn the_helper_reads_values_and_checks_the_schema_as_helm_does() {
    if !engine_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("schema-chart");
    std::fs::create_dir(&chart).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: schema-chart\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::copy(
        repo().join("schemas/values.schema.json"),
        chart.join("values.schema.json"),
    )
    .unwrap();
    let mut requests = vec![
        json!({"op": "read_values", "yaml": "a: on\nb: 0755\nc: \"on\"\n"}),
        json!({"op": "read_values", "yaml": "a: [\n"}),
        json!({"op": "validate_schema", "chart": chart, "values_yaml": "smi:\n  environment: 5\n"}),
    ];
    for values in VALUES {
        requests.push(json!({"op": "validate_schema", "chart": chart,
            "values_files": [example(&format!("values-{values}.yaml"))]}));
        requests.push(json!({"op": "template", "chart": example("chart"),
            "values_files": [example(&format!("values-{values}.yaml"))]}));
    }
    let answers = engine(&requests, &[]);
    assert_eq!(
        answers[0],
        json!({"ok": true, "values": {"a": true, "b": 493, "c": "on"}}),
        "Helm reads values files the YAML 1.1 way"
    );
    assert_eq!(answers[1]["ok"], false);
    assert_eq!(answers[1]["error_type"], "HelmValuesError");
    assert_eq!(answers[2]["valid"], false);
    let message = answers[2]["message"].as_str().unwrap();
    assert!(message.contains("/smi/environment"), "{message}");
    let helm3 = std::fs::read_to_string(example("rendered-helm3.yaml")).unwrap();
    for (i, values) in VALUES.iter().enumerate() {
        let schema = &answers[3 + 2 * i];
        assert_eq!(schema["valid"], true, "{values}: {schema}");
        let template = &answers[4 + 2 * i];
        assert_eq!(template["ok"], true, "{values}: {template}");
        assert!(template["templates"].as_object().unwrap().len() >= 40);
        // The chart reads none of the smi: section: every values file renders the same.
        let manifest = template["manifest"].as_str().unwrap();
        assert_eq!(documents(manifest), documents(&helm3), "{values}");
    }
}

/// Documents by kind and name, for comparing streams in different orders.
fn by_name(docs: Vec<Value>) -> std::collections::BTreeMap<String, Value> {
    docs.into_iter()
        .map(|d| (format!("{}/{}", d["kind"], d["metadata"]["name"]), d))
        .collect()
}

/// The document without Helm 4's filename annotation (and without annotations when that was
/// the only one), as Helm stores it.
fn without_filename(mut doc: Value) -> Value {
    let metadata = doc["metadata"].as_object_mut().unwrap();
    if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
        annotations.remove(FILENAME);
        if annotations.is_empty() {
            metadata.remove("annotations");
        }
    }
    doc
}

/// Lays the plugin out as `helm plugin install` does: plugin.yaml and the install hook under
/// `<plugins>/kubectl-smi`, then runs the hook, which links the kubectl-smi found on PATH to
/// where platformCommand points. The kubectl-smi on that PATH is a wrapper that keeps each
/// call's argv, stdin, stdout, stderr and exit status under `<plugins>/kubectl-smi/calls/`.
fn install_plugin(plugins: &Path) -> PathBuf {
    let plugin_dir = plugins.join("kubectl-smi");
    std::fs::create_dir_all(plugin_dir.join("scripts")).unwrap();
    std::fs::create_dir_all(plugin_dir.join("calls")).unwrap();
    std::fs::copy(repo().join("plugin.yaml"), plugin_dir.join("plugin.yaml")).unwrap();
    std::fs::copy(
        repo().join("scripts/helm-plugin-install.sh"),
        plugin_dir.join("scripts/helm-plugin-install.sh"),
    )
    .unwrap();
    let path_dir = plugins.join("path");
    std::fs::create_dir_all(&path_dir).unwrap();
    let wrapper = path_dir.join("kubectl-smi");
    let real = assert_cmd::cargo::cargo_bin("kubectl-smi");
    std::fs::write(
        &wrapper,
        format!(
            r#"#!/bin/sh
real='{real}'
[ "${{1:-}}" = version ] && exec "$real" "$@"
d="$HELM_PLUGIN_DIR/calls"
n=$(ls "$d" | grep -c '\.in$')
cat > "$d/$n.in"
printf '%s\n' "$@" > "$d/$n.args"
rc=0
"$real" "$@" < "$d/$n.in" > "$d/$n.out" 2> "$d/$n.err" || rc=$?
echo "$rc" > "$d/$n.rc"
cat "$d/$n.out"
exit "$rc"
"#,
            real = real.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();

    let manifest: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(plugin_dir.join("plugin.yaml")).unwrap())
            .unwrap();
    let expand = |command: &Value| {
        command
            .as_str()
            .unwrap()
            .replace("${HELM_PLUGIN_DIR}", plugin_dir.to_str().unwrap())
    };
    let hook = expand(&manifest["runtimeConfig"]["platformHooks"]["install"][0]["command"]);
    let argv: Vec<&str> = hook.split(' ').collect();
    let status = std::process::Command::new(argv[0])
        .args(&argv[1..])
        .env("HELM_PLUGIN_DIR", &plugin_dir)
        .env("HELM_PLUGIN_NAME", "kubectl-smi")
        .env("PATH", format!("{}:/usr/bin:/bin", path_dir.display()))
        .stdin(std::process::Stdio::null())
        .status()
        .expect("the install hook runs");
    assert!(status.success(), "the install hook failed");
    let command = expand(&manifest["runtimeConfig"]["platformCommand"][0]["command"]);
    assert!(
        Path::new(&command).exists(),
        "the install hook put nothing at {command}"
    );
    plugin_dir
}

/// One post-renderer call as the wrapper recorded it.
struct Call {
    args: Vec<String>,
    input: String,
    output: String,
    stderr: String,
    status: i32,
}

fn calls(plugin_dir: &Path) -> Vec<Call> {
    let dir = plugin_dir.join("calls");
    let count = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "in")
        })
        .count();
    (0..count)
        .map(|n| {
            let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{n}.{ext}"))).unwrap();
            Call {
                args: read("args").lines().map(str::to_owned).collect(),
                input: read("in"),
                output: read("out"),
                stderr: read("err"),
                status: read("rc").trim().parse().unwrap(),
            }
        })
        .collect()
}

#[test]
fn helm4_installs_through_the_plugin_under_every_post_render_strategy() {
    if !engine_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let state = dir.path().join("state");
    let config = dir.path().join("config");
    let cache = dir.path().join("cache");
    let data = dir.path().join("data");
    for d in [&home, &state, &config, &cache, &data] {
        std::fs::create_dir_all(d).unwrap();
    }
    let env: [(&str, &Path); 5] = [
        ("HOME", &home),
        ("XDG_STATE_HOME", &state),
        ("XDG_CONFIG_HOME", &config),
        ("XDG_CACHE_HOME", &cache),
        ("XDG_DATA_HOME", &data),
    ];
    // One HELM_PLUGINS folder per strategy: the calls of its three installs are told apart by
    // their --values argument.
    let mut requests = Vec::new();
    let mut plugin_dirs = Vec::new();
    for strategy in ["combined", "separate", "nohooks"] {
        let plugins = dir.path().join(strategy);
        plugin_dirs.push((strategy, install_plugin(&plugins)));
        for values in VALUES {
            let file = example(&format!("values-{values}.yaml"));
            requests.push(json!({
                "op": "install", "chart": example("chart"), "values_files": [file],
                "release": "dtp", "namespace": "prod",
                "post_renderer": "kubectl-smi",
                "post_renderer_args": [format!("--values={}", file.display())],
                "post_render_strategy": strategy, "helm_plugins": plugins,
            }));
        }
    }
    let answers = engine(&requests, &env);

    for (s, (strategy, plugin_dir)) in plugin_dirs.iter().enumerate() {
        let calls = calls(plugin_dir);
        for (v, values) in VALUES.iter().enumerate() {
            let answer = &answers[s * VALUES.len() + v];
            assert_eq!(
                answer["ok"], true,
                "{strategy}/{values}: Helm refused: {answer}"
            );
            let file = example(&format!("values-{values}.yaml"));
            let arg = format!("--values={}", file.display());
            let mine: Vec<&Call> = calls.iter().filter(|c| c.args == [arg.as_str()]).collect();
            let hooks: Vec<(usize, usize)> = mine
                .iter()
                .map(|c| {
                    let docs = documents(&c.input);
                    (docs.iter().filter(|d| is_hook(d)).count(), docs.len())
                })
                .collect();
            eprintln!("{strategy}/{values}: (hooks, documents) received per call: {hooks:?}");
            let expected: &[(usize, usize)] = match *strategy {
                "combined" => &[(8, 50)],
                "separate" => &[(8, 8), (0, 42)],
                _ => &[(0, 42)],
            };
            assert_eq!(hooks, expected, "{strategy}/{values}: what Helm sent");
            for (n, call) in mine.iter().enumerate() {
                assert_eq!(
                    call.status, 0,
                    "{strategy}/{values} call {n}: {}",
                    call.stderr
                );
                let alone = kubectl_smi()
                    .env("HOME", &home)
                    .env("XDG_STATE_HOME", &state)
                    .args(["render", "-f"])
                    .arg(&file)
                    .write_stdin(call.input.clone())
                    .output()
                    .unwrap();
                assert!(alone.status.success(), "{strategy}/{values} call {n}");
                assert!(
                    call.output.as_bytes() == alone.stdout.as_slice(),
                    "{strategy}/{values} call {n}: the plugin's output differs from `kubectl-smi render -f` of the same input"
                );
            }
            // What Helm stores: the post-rendered documents minus hooks, without the filename
            // annotation (Helm turns it back into `# Source:`). No difference seen with 4.2.3.
            let stored = by_name(documents(answer["manifest"].as_str().unwrap()));
            let rendered = by_name(
                mine.iter()
                    .flat_map(|c| documents(&c.output))
                    .filter(|d| !is_hook(d))
                    .map(without_filename)
                    .collect(),
            );
            assert!(
                stored == rendered,
                "{strategy}/{values}: the stored manifest is not the post-renderer's output minus hooks"
            );
        }
        assert_eq!(
            calls.len(),
            VALUES.len() * if *strategy == "separate" { 2 } else { 1 },
            "{strategy}: no call of another install"
        );
    }
}
