#!/usr/bin/env python3
"""YAML 1.1 oracle for kubectl-smi's output, with PyYAML as the reader.

usage: yaml11_oracle.py INPUT OUTPUT EXPLAIN_JSON

For every document of INPUT:
  - if EXPLAIN_JSON lists changes for it, PyYAML(output document) must equal PyYAML(input
    document) with exactly those JSON patches applied;
  - otherwise the output document must be byte-identical to the input document.
Documents the tool added (changes without a document number) must appear after the input's
documents, parse, and equal the added object.
Documents PyYAML refuses (e.g. the YAML 1.1 value key `=`) are compared as bytes only.
Prints one line per problem and exits 1 if there is any.
"""
import json
import re
import sys

import jsonpatch
import yaml

# libyaml's parser when PyYAML has it (same YAML 1.1 resolver and constructors, 10x faster).
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SEPARATOR = re.compile(r"^---(?:[ \t].*)?$")


def split_documents(text):
    """Splits a stream at `---` lines the way the tool does (a leading implicit document
    counts as the first one)."""
    docs, current = [], []
    for line in text.splitlines(keepends=True):
        if SEPARATOR.match(line.rstrip("\r\n")) and (current or docs):
            docs.append("".join(current))
            current = []
        current.append(line)
    if current or not docs:
        docs.append("".join(current))
    return docs


def load(text):
    try:
        return yaml.load(text, Loader=LOADER), None
    except yaml.YAMLError as e:
        return None, e


def normalize(value):
    """JSON view of a PyYAML value: dates become strings, keys become strings (the way
    YAML-to-JSON conversion names them)."""
    return json.loads(json.dumps(value, default=str))


def main():
    source = open(sys.argv[1], encoding="utf-8").read()
    output = open(sys.argv[2], encoding="utf-8").read()
    changes = json.load(open(sys.argv[3], encoding="utf-8"))
    by_document, added = {}, []
    for change in changes:
        if change.get("document"):
            # An empty patch means re-written without a data change (--rewrite-all).
            by_document.setdefault(change["document"], []).extend(change["patch"])
        else:
            added.append(change)

    inputs = split_documents(source)
    outputs = split_documents(output)
    problems = []
    if len(outputs) != len(inputs) + len(added):
        problems.append(f"{len(inputs)} input documents and {len(added)} added, "
                        f"but {len(outputs)} output documents")
    checked = 0
    for number, (before, after) in enumerate(zip(inputs, outputs), start=1):
        patch = by_document.get(number)
        if patch is None:
            if before != after:
                problems.append(f"document {number}: unchanged by the tool but not byte-identical")
            continue
        expected, error = load(before)
        if error:
            problems.append(f"document {number}: changed, but the oracle cannot read the input: {error}")
            continue
        expected = jsonpatch.apply_patch(normalize(expected), patch)
        actual, error = load(after)
        if error:
            problems.append(f"document {number}: output unreadable by PyYAML: {error}")
            continue
        if normalize(actual) != expected:
            problems.append(f"document {number}: PyYAML reads something else than input + patch:\n"
                            f"  expected {json.dumps(expected)[:400]}\n  actual   {json.dumps(normalize(actual))[:400]}")
        checked += 1
    for change, text in zip(added, outputs[len(inputs):]):
        actual, error = load(text)
        if error:
            problems.append(f"added {change['object']}: unreadable by PyYAML: {error}")
            continue
        expected = change["patch"][0]["value"]
        if normalize(actual) != expected:
            problems.append(f"added {change['object']}: PyYAML reads something else than the object added")
        checked += 1
    for p in problems:
        print(p)
    print(f"oracle: {len(inputs)} documents, {checked} changed or added checked by PyYAML, "
          f"{len(problems)} problems")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
