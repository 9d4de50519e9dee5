#!/usr/bin/env python3
"""Renders the example chart (examples/chart/, a stand-in for the platform's umbrella chart)
with the real Helm 4 engine into the two forms Helm hands a post-renderer:

- rendered-helm4.yaml: what Helm 4.2.3 passes to a post-renderer plugin under `helm install`
  (the `combined` strategy): every document, hooks included, annotated with
  `postrenderer.helm.sh/postrender-filename`, as Helm's kyaml writes them. Captured by
  installing (dry run) with a post-renderer plugin that saves its input.
- rendered-helm3.yaml: the `---\\n# Source: <template>\\n<document>\\n` blocks in install order,
  hooks excluded, as Helm 3 hands them (helm/helm#7891): the release manifest the same engine
  stores without a post-renderer, which Helm builds by the same code as Helm 3.

Values: values-aws.yaml (the chart ignores its `smi:` section), release namespace prod; and
the same two files for the second environment in staging/ (staging/values.yaml, namespace
staging). Needs helm-python-sdk (pip install -r tests/requirements.txt). Run from anywhere:
python3 examples/generate.py [--out DIR] (default: this directory). The output is
committed; tests check it is current.
"""
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
HELPER = os.path.join(HERE, "..", "tests", "helm4", "helm4.py")
CHART = os.path.join(HERE, "chart")
RELEASE = "dtp"
# (values file, release namespace, output directory under --out)
ENVIRONMENTS = [
    (os.path.join(HERE, "values-aws.yaml"), "prod", ""),
    (os.path.join(HERE, "staging", "values.yaml"), "staging", "staging"),
]

# A postrenderer/v1 plugin that keeps a copy of its input and returns it unchanged.
PLUGIN = """apiVersion: v1
type: postrenderer/v1
name: capture
version: 0.1.0
runtime: subprocess
runtimeConfig:
  platformCommand:
    - command: ${HELM_PLUGIN_DIR}/capture.sh
"""
CAPTURE = """#!/bin/sh
set -eu
n=$(ls "$HELM_PLUGIN_DIR/calls" | wc -l)
cat > "$HELM_PLUGIN_DIR/calls/$n.yaml"
cat "$HELM_PLUGIN_DIR/calls/$n.yaml"
"""


def engine(requests):
    out = subprocess.run(
        [sys.executable, HELPER],
        input=json.dumps({"timeout_seconds": 120, "requests": requests}),
        capture_output=True,
        text=True,
        timeout=180,
    )
    if out.returncode != 0:
        sys.exit(f"generate.py: the Helm 4 engine is not usable ({out.returncode}): {out.stdout}{out.stderr}")
    answers = json.loads(out.stdout)
    for answer in answers:
        if not answer["ok"]:
            sys.exit(f"generate.py: Helm 4 failed: {answer['error']}")
    return answers


def main():
    out_dir = HERE
    if sys.argv[1:2] == ["--out"] and len(sys.argv) == 3:
        out_dir = sys.argv[2]
    elif sys.argv[1:]:
        sys.exit("usage: generate.py [--out DIR]")
    for values, namespace, sub in ENVIRONMENTS:
        target = os.path.join(out_dir, sub)
        os.makedirs(target, exist_ok=True)
        generate(values, namespace, target)


def generate(values, namespace, out_dir):
    with tempfile.TemporaryDirectory(prefix="generate-") as tmp:
        plugin = os.path.join(tmp, "plugins", "capture")
        os.makedirs(os.path.join(plugin, "calls"))
        with open(os.path.join(plugin, "plugin.yaml"), "w") as f:
            f.write(PLUGIN)
        script = os.path.join(plugin, "capture.sh")
        with open(script, "w") as f:
            f.write(CAPTURE)
        os.chmod(script, 0o755)
        common = {"chart": CHART, "values_files": [values], "release": RELEASE, "namespace": namespace}
        template, _ = engine([
            dict(common, op="template"),
            dict(common, op="install", post_renderer="capture", post_render_strategy="combined",
                 helm_plugins=os.path.join(tmp, "plugins")),
        ])
        calls = sorted(os.listdir(os.path.join(plugin, "calls")), key=lambda n: int(n.split(".")[0]))
        if len(calls) != 1:
            sys.exit(f"generate.py: expected one post-renderer call under `combined`, got {len(calls)}")
        with open(os.path.join(plugin, "calls", calls[0])) as f:
            helm4 = f.read()
    manifest = template["manifest"]
    if not manifest.startswith("---\n# Source: "):
        sys.exit("generate.py: the engine's manifest is not in the `# Source:` form")
    # Helm 4 keeps each document's trailing newline in the manifest; Helm 3 trims every
    # document (releaseutil.SplitManifests) and writes "---\n# Source: %s\n%s\n".
    helm3 = ""
    for block in manifest.split("---\n# Source: ")[1:]:
        source, content = block.split("\n", 1)
        if content.strip() not in template["templates"].get(source, ""):
            sys.exit(f"generate.py: a document of {source} is not in that template's output")
        helm3 += f"---\n# Source: {source}\n{content.strip()}\n"
    # rendered-helm4.yaml byte for byte as the post-renderer received it.
    with open(os.path.join(out_dir, "rendered-helm3.yaml"), "w") as f:
        f.write(helm3)
    with open(os.path.join(out_dir, "rendered-helm4.yaml"), "w") as f:
        f.write(helm4)


if __name__ == "__main__":
    main()
