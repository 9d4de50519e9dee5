#!/usr/bin/env python3
"""Writes a rendered stream in which every document is one the post-renderer changes: the
18 service accounts of the guide's table, then COUNT Deployments, StatefulSets and Jobs
with distinct names, each running as one of those service accounts (so each gets the
identity wiring and its secret references). Read with values whose namespace is `prod`
(examples/values-aws.yaml). The text carries the YAML 1.1 traps the examples carry.

usage: make_workloads.py COUNT OUT"""
import sys

# The guide's service accounts that receive secrets (the scriptworker receives none).
ACCOUNTS = [
    "aisvc", "datasourcesvc", "filesvc", "itemsvc-telemetry-worker", "itemsvc-worker",
    "itemsvc", "objectmodelsvc", "passportsvc", "platform-notificationsvc-api",
    "platform-notificationsvc-worker", "scriptmanager", "workflowsvc-api",
    "workflowsvc-backend", "workflowwkr-backend", "filesvc-migrations",
    "itemsvc-migrations", "itemsvc-rdbms-migrations", "passportsvc-migrations",
]

count = int(sys.argv[1])
parts = []
for account in ACCOUNTS:
    parts.append(
        f"---\n# Source: dtplatform/templates/serviceaccount-{account}.yaml\n"
        f"apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: {account}\n"
        f"  labels:\n    app.kubernetes.io/name: dtplatform-{account}\n"
        f"    app.kubernetes.io/managed-by: Helm\n"
    )


def pod(i, account, indent):
    pad = " " * indent
    return (
        f"{pad}metadata:\n{pad}  labels:\n{pad}    app.kubernetes.io/name: bench-{i}\n"
        f"{pad}  annotations:\n{pad}    checksum/config: {i:064x}\n"
        f"{pad}spec:\n{pad}  serviceAccountName: {account}\n"
        f"{pad}  securityContext:\n{pad}    runAsNonRoot: true\n{pad}    fsGroup: 2000\n"
        f"{pad}  containers:\n{pad}    - name: app\n"
        f"{pad}      image: \"registry.example-domain.com/dtplatform/{account}:4.12.0\"\n"
        f"{pad}      env:\n{pad}        - name: FEATURE_TELEMETRY\n{pad}          value: \"on\"\n"
        f"{pad}        - name: FILE_MODE\n{pad}          value: \"0755\"\n"
        f"{pad}        - name: BANNER\n{pad}          value: |\n{pad}            line one of {i}\n"
        f"{pad}            line two\n"
        f"{pad}      # resources follow the chart's defaults\n"
        f"{pad}      resources:\n{pad}        requests: {{cpu: 50m, memory: 128Mi}}\n"
        f"{pad}        limits: {{memory: 256Mi}}\n"
    )


for i in range(count):
    account = ACCOUNTS[i % len(ACCOUNTS)]
    kind = ("Deployment", "StatefulSet", "Job")[i % 3]
    api = "batch/v1" if kind == "Job" else "apps/v1"
    head = (
        f"---\n# Source: dtplatform/templates/{kind.lower()}-{i}.yaml\n"
        f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: bench-{kind.lower()}-{i}\n"
        f"  labels:\n    app.kubernetes.io/name: bench-{i}\n    app.kubernetes.io/version: \"4.12.0\"\n"
        f"spec:\n"
    )
    if kind == "Job":
        body = f"  backoffLimit: 3\n  template:\n{pod(i, account, 4)}      restartPolicy: Never\n"
    else:
        service = f"  serviceName: bench-{i}\n" if kind == "StatefulSet" else ""
        body = (
            f"  replicas: 2\n{service}  selector:\n    matchLabels:\n      app.kubernetes.io/name: bench-{i}\n"
            f"  template:\n{pod(i, account, 4)}"
        )
    parts.append(head + body)

text = "".join(parts)
with open(sys.argv[2], "w") as f:
    f.write(text)
print(f"{sys.argv[2]}: {len(text) / 1024 / 1024:.2f} MB, {len(parts)} documents")
