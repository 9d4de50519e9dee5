//! Against the real Helm 4 engine (Helm v4.2.3 compiled as a C library, PyPI
//! helm-python-sdk==0.2.2, driven by tests/helm4/helm4.py): the examples are what the engine
//! makes of examples/chart/, and `helm install --dry-run=client` post-renders through the
//! repository's own plugin.yaml and the kubectl-smi binary under every post-render strategy.
//! A wrapper where platformCommand points keeps what each call received and returned; every
//! call is compared with `kubectl-smi render` of the same input and arguments, and the
//! release Helm stores with the calls' output minus hooks. Also: `--strict` and
//! `--post-render-strategy` under each strategy, the identity of hook service accounts, added
//! objects exactly once across calls, failures (invalid values, a broken stream) reaching the
//! log with nothing installed, and charts that render nothing.
//! Without the engine (pip install -r tests/requirements.txt) each test prints a SKIPPED line.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::support::helm4::{available as engine_available, documents, run as engine};
use crate::support::{example, kubectl_smi, repo};
use serde_json::{Value, json};

const VALUES: [&str; 3] = ["aws", "aws-irsa", "oci"];
const HOOK: &str = "helm.sh/hook";
const FILENAME: &str = "postrenderer.helm.sh/postrender-filename";

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
    for name in [
        "rendered-helm3.yaml",
        "rendered-helm4.yaml",
        "staging/rendered-helm3.yaml",
        "staging/rendered-helm4.yaml",
    ] {
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

/// Homes for one engine run, so that the post-renderers' log lands in a known place.
struct Homes {
    dir: tempfile::TempDir,
}

impl Homes {
    fn new() -> Homes {
        let homes = Homes {
            dir: tempfile::tempdir().unwrap(),
        };
        for d in ["home", "state", "config", "cache", "data"] {
            std::fs::create_dir_all(homes.dir.path().join(d)).unwrap();
        }
        homes
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn env(&self) -> Vec<(&'static str, PathBuf)> {
        vec![
            ("HOME", self.path("home")),
            ("XDG_STATE_HOME", self.path("state")),
            ("XDG_CONFIG_HOME", self.path("config")),
            ("XDG_CACHE_HOME", self.path("cache")),
            ("XDG_DATA_HOME", self.path("data")),
            // The post-renderer's warnings stay off the terminal the tests run in.
            ("SMI_NO_TTY", PathBuf::from("1")),
        ]
    }

    /// The Helm 4 log of every post-render call of this run.
    fn log(&self) -> String {
        std::fs::read_to_string(self.path("state/kubectl-smi/kubectl-smi.log")).unwrap_or_default()
    }

    /// Runs a batch through the engine with these homes.
    fn engine(&self, requests: &[Value]) -> Vec<Value> {
        let env = self.env();
        let env: Vec<(&str, &Path)> = env.iter().map(|(k, v)| (*k, v.as_path())).collect();
        engine(requests, &env)
    }

    /// `kubectl-smi render ARGS` of `input`, outside Helm, with these homes.
    fn render_alone(&self, args: &[String], input: &str) -> std::process::Output {
        let mut cmd = kubectl_smi();
        for (key, value) in self.env() {
            cmd.env(key, value);
        }
        cmd.arg("render")
            .args(args)
            .write_stdin(input.to_owned())
            .output()
            .unwrap()
    }
}

/// One `helm install --dry-run=client` through the plugin: the values files (given to Helm
/// and to the post-renderer), the post-renderer's other arguments, and Helm's strategy.
struct Install {
    label: String,
    values: Vec<PathBuf>,
    flags: Vec<String>,
    strategy: &'static str,
}

impl Install {
    /// What the post-renderer is called with (its calls are told apart by these).
    fn args(&self) -> Vec<String> {
        self.values
            .iter()
            .map(|v| format!("--values={}", v.display()))
            .chain(self.flags.iter().cloned())
            .collect()
    }

    fn request(&self, chart: &Path, plugins: &Path) -> Value {
        json!({
            "op": "install", "chart": chart, "values_files": self.values,
            "release": "dtp", "namespace": "prod",
            "post_renderer": "kubectl-smi", "post_renderer_args": self.args(),
            "post_render_strategy": self.strategy, "helm_plugins": plugins,
        })
    }

    fn calls<'a>(&self, calls: &'a [Call]) -> Vec<&'a Call> {
        let args = self.args();
        calls.iter().filter(|c| c.args == args).collect()
    }
}

const STRATEGIES: [&str; 3] = ["combined", "separate", "nohooks"];
const MIGRATIONS: [&str; 4] = [
    "filesvc-migrations",
    "itemsvc-migrations",
    "itemsvc-rdbms-migrations",
    "passportsvc-migrations",
];
const ADDED_PREFIX: &str = "kubectl-smi/";
const IDENTITY: &str = "smi.dtplatform.io/cloud-identity";

/// The documents kubectl-smi added (their filename annotation names kubectl-smi), as
/// `Kind/name`, with whether each is a hook.
fn added(docs: &[Value]) -> Vec<(String, bool)> {
    docs.iter()
        .filter(|d| {
            d["metadata"]["annotations"][FILENAME]
                .as_str()
                .is_some_and(|f| f.starts_with(ADDED_PREFIX))
        })
        .map(|d| {
            (
                format!(
                    "{}/{}",
                    d["kind"].as_str().unwrap(),
                    d["metadata"]["name"].as_str().unwrap()
                ),
                is_hook(d),
            )
        })
        .collect()
}

#[test]
fn helm4_installs_through_the_plugin_under_every_post_render_strategy() {
    if !engine_available() {
        return;
    }
    let homes = Homes::new();
    let ack = homes.path("ack.yaml");
    std::fs::write(
        &ack,
        "smi:\n  cloud:\n    aws:\n      ackPodIdentityAssociations: true\n",
    )
    .unwrap();
    let mut value_sets: Vec<(String, Vec<PathBuf>)> = VALUES
        .iter()
        .map(|v| (v.to_string(), vec![example(&format!("values-{v}.yaml"))]))
        .collect();
    value_sets.push(("aws+ack".into(), vec![example("values-aws.yaml"), ack]));

    // One HELM_PLUGINS folder per strategy; the calls of its installs are told apart by
    // their arguments.
    let mut installs = Vec::new();
    let mut requests = Vec::new();
    let mut plugin_dirs = Vec::new();
    for strategy in STRATEGIES {
        let plugins = homes.path(strategy);
        plugin_dirs.push(install_plugin(&plugins));
        for (label, values) in &value_sets {
            let mut variants = vec![
                vec![],
                vec![
                    "--strict".to_owned(),
                    format!("--post-render-strategy={strategy}"),
                ],
            ];
            if strategy == "separate" {
                // --strict without declaring the strategy: the manifests call fails.
                variants.push(vec!["--strict".to_owned()]);
            }
            for flags in variants {
                let install = Install {
                    label: format!("{strategy}/{label} {}", flags.join(" ")),
                    values: values.clone(),
                    flags,
                    strategy,
                };
                requests.push(install.request(&example("chart"), &plugins));
                installs.push((install, plugins.join("kubectl-smi")));
            }
        }
    }
    let answers = homes.engine(&requests);

    // Added objects per values set under plain combined, the reference for the others.
    let mut combined_added: std::collections::BTreeMap<String, Vec<(String, bool)>> =
        Default::default();
    for ((install, plugin_dir), answer) in installs.iter().zip(&answers) {
        let label = &install.label;
        let all_calls = calls(plugin_dir);
        let mine = install.calls(&all_calls);
        let received: Vec<(usize, usize)> = mine
            .iter()
            .map(|c| {
                let docs = documents(&c.input);
                (docs.iter().filter(|d| is_hook(d)).count(), docs.len())
            })
            .collect();
        let expected: &[(usize, usize)] = match install.strategy {
            "combined" => &[(8, 50)],
            "separate" => &[(8, 8), (0, 42)],
            _ => &[(0, 42)],
        };
        assert_eq!(
            received, expected,
            "{label}: what Helm sent (hooks, documents) per call"
        );

        // Every call: exactly what `kubectl-smi render` makes of that input with those args.
        for (n, call) in mine.iter().enumerate() {
            let alone = homes.render_alone(&call.args, &call.input);
            assert_eq!(
                call.status,
                alone.status.code().unwrap(),
                "{label} call {n}"
            );
            assert!(
                call.output.as_bytes() == alone.stdout.as_slice(),
                "{label} call {n}: the plugin's output differs from `kubectl-smi render` of the same input"
            );
        }

        let declared = install
            .flags
            .iter()
            .any(|f| f.starts_with("--post-render-strategy"));
        let strict = install.flags.iter().any(|f| f == "--strict");
        let fails = strict
            && (install.strategy == "nohooks" || (install.strategy == "separate" && !declared));
        if fails {
            assert_eq!(answer["ok"], false, "{label}: Helm must fail: {answer}");
            assert!(
                answer["error"]
                    .as_str()
                    .unwrap()
                    .contains("plugin \"kubectl-smi\" exited with error"),
                "{label}: {answer}"
            );
            // The call that judged the whole release fails; a hooks-only call never does.
            let failed = mine.last().unwrap();
            assert_eq!(failed.status, 1, "{label}");
            assert!(
                failed.output.is_empty(),
                "{label}: nothing on stdout on error"
            );
            assert!(
                failed.stderr.contains(&format!(
                    "service accounts missing from the manifests: {}",
                    MIGRATIONS.join(", ")
                )),
                "{label}: {}",
                failed.stderr
            );
            let hint = if install.strategy == "nohooks" {
                "not post-rendered under the nohooks strategy"
            } else {
                "pass --post-render-strategy=separate"
            };
            assert!(failed.stderr.contains(hint), "{label}: {}", failed.stderr);
            assert!(
                mine[..mine.len() - 1].iter().all(|c| c.status == 0),
                "{label}"
            );
            continue;
        }
        assert_eq!(answer["ok"], true, "{label}: Helm refused: {answer}");
        assert!(mine.iter().all(|c| c.status == 0), "{label}");

        // Warnings: only a call that lacks the hooks, with the strategy undeclared.
        for (n, call) in mine.iter().enumerate() {
            let lacks_hooks = install.strategy != "combined" && received[n].0 == 0;
            let warns = lacks_hooks && !declared;
            assert_eq!(
                call.stderr
                    .contains("warning: service accounts of the guide's table missing"),
                warns,
                "{label} call {n}: {}",
                call.stderr
            );
            if warns {
                assert!(
                    call.stderr.contains("--post-render-strategy"),
                    "{}",
                    call.stderr
                );
                assert!(!call.stderr.contains("Helm 3"), "{}", call.stderr);
            }
        }

        let outputs: Vec<Value> = mine.iter().flat_map(|c| documents(&c.output)).collect();
        // Hook service accounts get their identity, except under nohooks (never post-rendered).
        for sa in MIGRATIONS {
            let found: Vec<&Value> = outputs
                .iter()
                .filter(|d| d["kind"] == "ServiceAccount" && d["metadata"]["name"] == sa)
                .collect();
            if install.strategy == "nohooks" {
                assert!(found.is_empty(), "{label}: {sa} was post-rendered");
            } else {
                assert_eq!(found.len(), 1, "{label}: {sa}");
                assert!(is_hook(found[0]), "{label}: {sa} stays a hook");
                assert!(
                    found[0]["metadata"]["annotations"][IDENTITY].is_string(),
                    "{label}: {sa} has no identity"
                );
            }
        }

        // Added objects: each exactly once across the calls, as the same set as combined
        // (minus what only hooks cause, under nohooks).
        let mut added_here = added(&outputs);
        let mut names: Vec<&String> = added_here.iter().map(|(n, _)| n).collect();
        names.sort();
        let count = names.len();
        names.dedup();
        assert_eq!(
            names.len(),
            count,
            "{label}: an added object appears twice: {added_here:?}"
        );
        added_here.sort();
        let values_label = label
            .split(' ')
            .next()
            .unwrap()
            .split('/')
            .nth(1)
            .unwrap()
            .to_owned();
        let associations = added_here
            .iter()
            .filter(|(n, _)| n.starts_with("PodIdentityAssociation/"))
            .count();
        let hook_associations: Vec<&String> = added_here
            .iter()
            .filter(|(n, hook)| *hook && n.starts_with("PodIdentityAssociation/"))
            .map(|(n, _)| n)
            .collect();
        match (values_label.as_str(), install.strategy) {
            ("aws+ack", "nohooks") => {
                assert_eq!((associations, hook_associations.len()), (14, 0), "{label}")
            }
            ("aws+ack", _) => {
                assert_eq!((associations, hook_associations.len()), (18, 4), "{label}")
            }
            _ => assert_eq!(associations, 0, "{label}"),
        }
        assert_eq!(
            added_here.iter().filter(|(_, hook)| *hook).count(),
            hook_associations.len(),
            "{label}: only associations of hook accounts are added as hooks"
        );
        if install.strategy == "combined" && install.flags.is_empty() {
            combined_added.insert(values_label.clone(), added_here.clone());
        } else if let Some(reference) = combined_added.get(&values_label) {
            let expected: Vec<(String, bool)> = reference
                .iter()
                .filter(|(_, hook)| install.strategy != "nohooks" || !hook)
                .cloned()
                .collect();
            assert_eq!(added_here, expected, "{label}: not what combined adds");
        }
        // The associations of hook accounts: hooks of the same phases, weighted before the
        // accounts (-10) and their Jobs (-5), in the call that holds the hooks.
        for sa in MIGRATIONS {
            for (n, call) in mine.iter().enumerate() {
                for doc in documents(&call.output) {
                    if doc["kind"] != "PodIdentityAssociation" || doc["metadata"]["name"] != sa {
                        continue;
                    }
                    let annotations = &doc["metadata"]["annotations"];
                    assert_eq!(annotations[HOOK], "pre-install,pre-upgrade", "{label} {sa}");
                    assert_eq!(annotations["helm.sh/hook-weight"], "-11", "{label} {sa}");
                    assert_eq!(
                        annotations["helm.sh/hook-delete-policy"], "before-hook-creation",
                        "{label} {sa}"
                    );
                    assert!(
                        received[n].0 > 0,
                        "{label}: {sa}'s association is not with the hooks"
                    );
                }
            }
        }

        // What Helm stores: the post-rendered documents minus hooks, without the filename
        // annotation (Helm turns it back into `# Source:`). Helm 4.2.3 re-serializes through
        // kyaml (helm/helm#31948: a `|` block ending a file becomes `|-`); compared as YAML
        // values, no difference was found with this chart.
        let stored = by_name(documents(answer["manifest"].as_str().unwrap()));
        let rendered = by_name(
            outputs
                .iter()
                .filter(|d| !is_hook(d))
                .cloned()
                .map(without_filename)
                .collect(),
        );
        assert!(
            stored == rendered,
            "{label}: the stored manifest is not the post-renderer's output minus hooks"
        );
    }
    for (strategy, plugin_dir) in STRATEGIES.iter().zip(&plugin_dirs) {
        let expected: usize = installs
            .iter()
            .filter(|(i, _)| i.strategy == *strategy)
            .map(|(i, _)| if i.strategy == "separate" { 2 } else { 1 })
            .sum();
        assert_eq!(
            calls(plugin_dir).len(),
            expected,
            "{strategy}: no call of another install"
        );
    }
    // The log keeps every call of the run, each under its header.
    let log = homes.log();
    let headers = log.lines().filter(|l| l.starts_with("# 20")).count();
    assert_eq!(
        headers,
        plugin_dirs.iter().map(|d| calls(d).len()).sum::<usize>()
    );
}

/// A chart for the tests, written into `dir`: `Chart.yaml`, then each `(path, text)`.
fn chart(dir: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join(name);
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(
        root.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n"),
    )
    .unwrap();
    for (path, text) in files {
        std::fs::write(root.join(path), text).unwrap();
    }
    root
}

#[test]
fn helm4_fails_on_invalid_values_or_a_broken_stream_with_the_message_in_the_log() {
    if !engine_available() {
        return;
    }
    let homes = Homes::new();
    let values = homes.path("bad-values.yaml");
    std::fs::write(
        &values,
        std::fs::read_to_string(example("values-aws.yaml"))
            .unwrap()
            .replace("  environment: prod\n", "  environment: 5\n"),
    )
    .unwrap();
    let broken = chart(
        homes.dir.path(),
        "broken",
        &[("templates/x.yaml", "apiVersion: v1\nmetadata:\n  name: x\n")],
    );
    let plugins = homes.path("plugins");
    let plugin_dir = install_plugin(&plugins);
    let cases = [
        (
            Install {
                label: "invalid values".into(),
                values: vec![values.clone()],
                flags: vec![],
                strategy: "combined",
            },
            example("chart"),
            format!(
                "{}:7:16: smi.environment: found the number 5",
                values.display()
            ),
        ),
        (
            Install {
                label: "broken stream".into(),
                values: vec![example("values-aws.yaml")],
                flags: vec!["--post-render-strategy=separate".into()],
                strategy: "separate",
            },
            broken,
            "document 1 (broken/templates/x.yaml), line 1, column 1: the object has no kind"
                .to_owned(),
        ),
    ];
    let requests: Vec<Value> = cases
        .iter()
        .map(|(install, chart, _)| install.request(chart, &plugins))
        .collect();
    let answers = homes.engine(&requests);
    let all_calls = calls(&plugin_dir);
    let log = homes.log();
    for ((install, _, message), answer) in cases.iter().zip(&answers) {
        let label = &install.label;
        assert_eq!(answer["ok"], false, "{label}: {answer}");
        assert!(answer.get("manifest").is_none(), "{label}: no manifest");
        let mine = install.calls(&all_calls);
        assert_eq!(
            mine.len(),
            1,
            "{label}: Helm stops at the first failed call"
        );
        assert_eq!(mine[0].status, 1);
        assert!(mine[0].output.is_empty(), "{label}: nothing on stdout");
        assert!(
            mine[0].stderr.contains(message.as_str()),
            "{label}: {}",
            mine[0].stderr
        );
        assert!(
            log.contains(message.as_str()),
            "{label}: the log lacks it: {log}"
        );
    }
}

#[test]
fn helm4_installs_a_chart_that_renders_nothing_under_every_strategy() {
    if !engine_available() {
        return;
    }
    let homes = Homes::new();
    let notes_only = chart(
        homes.dir.path(),
        "notes-only",
        &[("templates/NOTES.txt", "Nothing to install.\n")],
    );
    let turned_off = chart(
        homes.dir.path(),
        "turned-off",
        &[
            ("values.yaml", "enabled: false\n"),
            (
                "templates/configmap.yaml",
                "{{- if .Values.enabled }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n{{- end }}\n",
            ),
        ],
    );
    let mut requests = Vec::new();
    let mut installs = Vec::new();
    for strategy in STRATEGIES {
        let plugins = homes.path(strategy);
        let plugin_dir = install_plugin(&plugins);
        // Different values files tell the two charts' calls apart.
        for (chart, values) in [
            (&notes_only, "values-aws.yaml"),
            (&turned_off, "values-oci.yaml"),
        ] {
            let install = Install {
                label: format!(
                    "{strategy}/{}",
                    chart.file_name().unwrap().to_string_lossy()
                ),
                values: vec![example(values)],
                flags: vec![format!("--post-render-strategy={strategy}")],
                strategy,
            };
            requests.push(install.request(chart, &plugins));
            // The same install without a post-renderer.
            requests.push(
                json!({"op": "install", "chart": chart, "release": "dtp", "namespace": "prod"}),
            );
            installs.push((install, plugin_dir.clone()));
        }
    }
    // The control: a post-renderer that echoes its empty input, which Helm refuses.
    let echo = homes.path("echo");
    std::fs::create_dir_all(echo.join("kubectl-smi")).unwrap();
    std::fs::write(
        echo.join("kubectl-smi/plugin.yaml"),
        "apiVersion: v1\ntype: postrenderer/v1\nname: kubectl-smi\nversion: 0.1.0\nruntime: subprocess\nruntimeConfig:\n  platformCommand:\n    - command: /bin/cat\n",
    )
    .unwrap();
    requests.push(json!({
        "op": "install", "chart": notes_only, "release": "dtp", "namespace": "prod",
        "post_renderer": "kubectl-smi", "post_renderer_args": [], "helm_plugins": echo,
    }));
    let answers = homes.engine(&requests);
    let control = answers.last().unwrap();
    assert_eq!(control["ok"], false, "{control}");
    assert!(
        control["error"]
            .as_str()
            .unwrap()
            .contains("produced empty output"),
        "{control}"
    );
    for (i, (install, plugin_dir)) in installs.iter().enumerate() {
        let label = &install.label;
        let (with, without) = (&answers[2 * i], &answers[2 * i + 1]);
        assert_eq!(with["ok"], true, "{label}: {with}");
        assert_eq!(without["ok"], true, "{label}: {without}");
        assert_eq!(
            documents(with["manifest"].as_str().unwrap()),
            Vec::<Value>::new()
        );
        assert_eq!(with["manifest"], without["manifest"], "{label}");
        let all_calls = calls(plugin_dir);
        let mine = install.calls(&all_calls);
        // Helm 4.2.3 post-renders the empty stream under combined; under separate and
        // nohooks it has no group of files to post-render and calls nothing.
        let expected_calls = usize::from(install.strategy == "combined");
        assert_eq!(mine.len(), expected_calls, "{label}: post-render calls");
        for call in mine {
            assert!(call.input.trim().is_empty(), "{label}: {:?}", call.input);
            assert_eq!(call.output, "# kubectl-smi: no manifests\n", "{label}");
        }
    }
}
