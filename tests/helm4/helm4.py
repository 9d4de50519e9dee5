#!/usr/bin/env python3
"""Real Helm 4 operations for the tests, through the Helm v4.2.3 engine of the PyPI package
helm-python-sdk==0.2.2 (Helm compiled as a C library; no helm binary, no cluster).

Usage: a batch of requests as JSON on stdin, one answer per request as JSON on stdout, in
the same order. Loading the library costs time, so send many requests per process.

    python3 tests/helm4/helm4.py < requests.json > answers.json
    python3 tests/helm4/helm4.py --probe   # exit 0 when the engine loads, 3 (and why) when not

stdin is either a list of requests or {"timeout_seconds": N, "requests": [...]}. The whole
batch is bounded by timeout_seconds (default 300): on expiry the engine process and anything
it started (post-renderers) are killed, and every unanswered request answers
{"ok": false, "error": "timed out: ...", "error_type": "Timeout"}. Exit status: 0 when every
request was answered (a failed operation is an answer), 2 for a malformed batch, 3 when the
engine cannot be loaded (every answer then carries "unavailable": true).

Every answer has "ok". A failed operation answers
    {"ok": false, "error": "<Helm's own message>", "error_type": "HelmReleaseError", "code": -62}
(error_type and code are helm_python's exception class and the C library's error code).

Values, in every request that takes them (later ones override earlier ones, maps merged
key by key as Helm merges several -f files):
    "values": {...}                 a JSON object
    "values_files": ["a.yaml", ...] files read with Helm's own values reader
    "values_yaml": "text"           one document read with Helm's own values reader

Operations:

  {"op": "version"}
    -> {"ok": true, "helm_c": "0.2.2", "helm_sdk": "v4.2.3"}

  {"op": "template", "chart": DIR, values..., "release": "dtp", "namespace": "prod"}
    Renders offline (`helm template`) and installs with dry_run=client and no post-renderer.
    -> {"ok": true,
        "templates": {"<chart>/templates/x.yaml": "<rendered text>", ...},
            every template's output as the engine renders it (partials absent, empty
            outputs included; hooks included, not yet split into documents),
        "manifest": "---\\n# Source: <chart>/templates/x.yaml\\n<document>\\n..."}
            the release manifest Helm stores: the non-hook documents in install order,
            each framed with its `# Source:` comment, exactly as Helm 3 hands them to a
            post-renderer.

  {"op": "install", "chart": DIR, values..., "release": "dtp", "namespace": "prod",
   "post_renderer": "kubectl-smi" | null, "post_renderer_args": ["--values=v.yaml"],
   "post_render_strategy": "combined" | "separate" | "nohooks",
   "helm_plugins": DIR, "options": {...}}
    `helm install --dry-run=client`. post_renderer is the NAME of a postrenderer/v1 plugin
    found under helm_plugins (as $HELM_PLUGINS: DIR/<name>/plugin.yaml, loaded strictly as
    Helm 4 does). "options" adds other keys of the C call's options (skip_crds,
    disable_hooks, kube_version, api_versions).
    -> {"ok": true, "manifest": "<the stored release manifest, hooks excluded>",
        "release": {name, namespace, revision, status, chart_name, chart_version, ...},
        "hooks": null}
            the engine's answer carries no hooks (and a dry run stores nothing to read
            them back from); to see hooks, tee what the post-renderer receives.
    A failed post-render answers ok=false with Helm's words, e.g.
    `error while running post render on files: failed to invoke post-renderer plugin
    "kubectl-smi": plugin "kubectl-smi" exited with error` (the plugin's stderr is not
    shown), or `produced empty output`. An unknown plugin: `plugin: {Name:x
    Type:postrenderer/v1} not found`.
    What Helm 4.2.3 hands the post-renderer (seen with examples/chart): under "combined",
    one call with every document, hooks included, in template-file order (not kind order);
    under "separate", two calls: the hooks alone first, then the rest in install (kind)
    order; under "nohooks", one call without the hooks, in install order. Every document
    is re-written by kyaml (compact sequences, folded `>-` text on one line, and a `|` block
    that ends any document but the stream's last becomes `|-`, losing its final newline:
    helm/helm#31948) and carries
    `postrenderer.helm.sh/postrender-filename: '<chart>/templates/x.yaml'` as its last
    annotation.

  {"op": "validate_schema", "chart": DIR, values...}
    Helm's own check of the values against the chart's values.schema.json (a chart
    without one always passes); the values are used as given, not merged with the
    chart's defaults (pass "coalesce": true to validate the merged values like install).
    -> {"ok": true, "valid": true | false, "message": "<Helm's messages>" | null}

  {"op": "read_values", "yaml": "text"}
    Helm's own YAML reader for values files (`-f`).
    -> {"ok": true, "values": {...}}  or  {"ok": false, "error": ...} for text it refuses

The Go runtime inside the library reads the environment once, when it is loaded, so this
script runs the engine in a child process per distinct helm_plugins folder, with
HELM_PLUGINS set and Helm's cache/config/data homes and KUBECONFIG pointed into a fresh
temporary directory (nothing of the user's Helm or cluster setup is read). HOME and XDG_*
are passed through: set them in the caller to isolate the post-renderer too.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time

CHILD = "HELM4_HELPER_CHILD"
DEFAULT_TIMEOUT = 300


def fail(exc):
    answer = {"ok": False, "error": str(exc), "error_type": type(exc).__name__}
    code = getattr(exc, "code", None)
    if isinstance(code, int):
        answer["code"] = code
    return answer


# --- the engine side (child process) ----------------------------------------------------


def merge(base, override):
    """Helm's merge of several values files: maps key by key, anything else replaced."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def request_values(h, req):
    values = {}
    if "values" in req:
        values = merge(values, req["values"] or {})
    for path in req.get("values_files") or []:
        with open(path, encoding="utf-8") as f:
            values = merge(values, h.values_from_yaml(f.read()))
    if "values_yaml" in req:
        values = merge(values, h.values_from_yaml(req["values_yaml"]))
    return values


def install(h, req, values, post_renderer=None):
    from helm_python import _native
    from helm_python.config import Config

    namespace = req.get("namespace", "prod")
    options = {"dry_run": "client", "namespace": namespace}
    if post_renderer:
        options["post_renderer"] = post_renderer
        options["post_renderer_args"] = list(req.get("post_renderer_args") or [])
        if req.get("post_render_strategy"):
            options["post_render_strategy"] = req["post_render_strategy"]
    options.update(req.get("options") or {})
    with h.Chart.load(req["chart"]) as chart, Config(
        namespace=namespace, storage_driver="memory", kube_apiserver="https://127.0.0.1:1"
    ) as cfg:
        payload = _native.call_string(
            "helm_install",
            cfg._raw(),
            _native.HANDLE(0),
            chart._raw(),
            None,
            req.get("release", "dtp"),
            json.dumps(values),
            json.dumps(options),
        )
    return json.loads(payload)


def serve(h, req):
    op = req.get("op")
    if op == "version":
        from helm_python import _native

        return {"ok": True, "helm_c": _native.helm_c_version(), "helm_sdk": _native.helm_sdk_version()}
    if op == "read_values":
        return {"ok": True, "values": h.values_from_yaml(req["yaml"])}
    if op == "template":
        values = request_values(h, req)
        with h.Chart.load(req["chart"]) as chart:
            templates = chart.render(
                values,
                name=req.get("release", "dtp"),
                namespace=req.get("namespace", "prod"),
                is_install=True,
            )
        release = install(h, req, values)
        return {"ok": True, "templates": templates, "manifest": release.get("manifest", "")}
    if op == "install":
        release = install(h, req, request_values(h, req), req.get("post_renderer"))
        manifest = release.pop("manifest", "")
        return {"ok": True, "manifest": manifest, "release": release, "hooks": None}
    if op == "validate_schema":
        values = request_values(h, req)
        with h.Chart.load(req["chart"]) as chart:
            if req.get("coalesce"):
                values = chart.merge_values(values)
            try:
                chart.validate_schema(values)
            except h.HelmValuesError as exc:
                return {"ok": True, "valid": False, "message": str(exc)}
        return {"ok": True, "valid": True, "message": None}
    return {"ok": False, "error": f"unknown op {op!r}", "error_type": "UsageError"}


def child():
    requests = json.load(sys.stdin)
    try:
        import helm_python as h
    except Exception as exc:  # ImportError, or HelmLibraryError when the .so does not load
        answer = dict(fail(exc), unavailable=True)
        json.dump([answer for _ in requests], sys.stdout)
        return 3
    answers = []
    for req in requests:
        try:
            answers.append(serve(h, req))
        except Exception as exc:
            answers.append(fail(exc))
    json.dump(answers, sys.stdout)
    return 0


# --- the launcher side ------------------------------------------------------------------


def run_group(requests, helm_plugins, timeout, scratch):
    env = dict(os.environ)
    env[CHILD] = "1"
    env["HELM_PLUGINS"] = helm_plugins or os.path.join(scratch, "plugins")
    for var, sub in [
        ("HELM_CACHE_HOME", "cache"),
        ("HELM_CONFIG_HOME", "config"),
        ("HELM_DATA_HOME", "data"),
    ]:
        env[var] = os.path.join(scratch, sub)
    env["HELM_REPOSITORY_CONFIG"] = os.path.join(scratch, "config/repositories.yaml")
    env["HELM_REGISTRY_CONFIG"] = os.path.join(scratch, "config/registry.json")
    env["KUBECONFIG"] = os.path.join(scratch, "kubeconfig")
    for var in ("HELM_DRIVER", "HELM_NAMESPACE", "HELM_KUBECONTEXT", "HELM_DEBUG"):
        env.pop(var, None)
    proc = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # its own process group, post-renderers included
    )
    try:
        out, err = proc.communicate(json.dumps(requests).encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return [{"ok": False, "error": "timed out: the batch's timeout_seconds ran out", "error_type": "Timeout"}] * len(requests), 0
    try:
        answers = json.loads(out)
        assert isinstance(answers, list) and len(answers) == len(requests)
    except Exception:
        message = f"the engine process exited with {proc.returncode}: {err.decode(errors='replace')[-2000:]}"
        return [{"ok": False, "error": message, "error_type": "EngineCrash"}] * len(requests), 0
    return answers, 3 if proc.returncode == 3 else 0


def main():
    if os.environ.get(CHILD):
        return child()
    if sys.argv[1:] == ["--probe"]:
        answers, status = run_group([{"op": "version"}], None, 60, tempfile.mkdtemp(prefix="helm4-"))
        print(json.dumps(answers[0]))
        return 0 if answers[0].get("ok") else 3
    try:
        batch = json.load(sys.stdin)
        if isinstance(batch, dict):
            timeout = float(batch.get("timeout_seconds", DEFAULT_TIMEOUT))
            requests = batch["requests"]
        else:
            timeout, requests = DEFAULT_TIMEOUT, batch
        assert isinstance(requests, list) and all(isinstance(r, dict) for r in requests)
    except Exception as exc:
        print(f"helm4.py: stdin is not a batch of requests: {exc}", file=sys.stderr)
        return 2
    groups = {}
    for index, req in enumerate(requests):
        groups.setdefault(req.get("helm_plugins"), []).append(index)
    answers = [None] * len(requests)
    status = 0
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="helm4-") as scratch:
        for helm_plugins, indexes in groups.items():
            left = max(1.0, deadline - time.monotonic())
            got, code = run_group([requests[i] for i in indexes], helm_plugins, left, scratch)
            status = max(status, code)
            for i, answer in zip(indexes, got):
                answers[i] = answer
    json.dump(answers, sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main())
