#!/usr/bin/env python3
"""Compares, object by object with PyYAML (a YAML 1.1 reader: values, not bytes), what Flux
would apply with what `kubectl-smi render` writes.

Usage: flux_compare.py RENDERED KUSTOMIZED EXPORT

RENDERED is render's output; KUSTOMIZED is `kubectl kustomize` over the Helm stream and the
export's patches (what helm-controller applies); EXPORT is the export of `kubectl smi gitops
flux`, whose documents other than the HelmRelease and the Kustomization are the added
objects. Helm 4's template annotation is left out on both sides (Helm removes it after
post-rendering; the added objects have no template). Exit 0 when equal, 1 with every
difference on stdout."""

import sys

import yaml

FILENAME = "postrenderer.helm.sh/postrender-filename"
FLUX = {("helm.toolkit.fluxcd.io/v2", "HelmRelease"), ("kustomize.toolkit.fluxcd.io/v1", "Kustomization")}


def objects(path):
    with open(path, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d is not None]
    out = []
    for d in docs:
        if d.get("kind") == "List":
            out.extend(d.get("items") or [])
        else:
            out.append(d)
    return out


def key(o):
    meta = o.get("metadata") or {}
    return (o.get("apiVersion"), o.get("kind"), meta.get("namespace"), meta.get("name"))


def normalized(o):
    meta = o.get("metadata") or {}
    annotations = meta.get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(FILENAME, None)
        if not annotations:
            meta.pop("annotations")
    return o


def index(objs, side, problems):
    out = {}
    for o in objs:
        k = key(o)
        if k in out:
            problems.append(f"{side}: {k} twice")
        out[k] = normalized(o)
    return out


def main():
    rendered_path, kustomized_path, export_path = sys.argv[1:4]
    problems = []
    added = [o for o in objects(export_path) if (o.get("apiVersion"), o.get("kind")) not in FLUX]
    want = index(objects(rendered_path), "render", problems)
    got = index(objects(kustomized_path) + added, "flux", problems)
    for k in sorted(set(want) | set(got), key=str):
        if k not in got:
            problems.append(f"{k}: in the render, not in what Flux applies")
        elif k not in want:
            problems.append(f"{k}: applied by Flux, not in the render")
        elif got[k] != want[k]:
            problems.append(f"{k}: differs\n  render: {want[k]}\n  flux:   {got[k]}")
    print(f"{len(want)} objects compared, {len(added)} added documents")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


main()
