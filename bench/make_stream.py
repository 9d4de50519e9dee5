#!/usr/bin/env python3
"""Writes a rendered stream of about SIZE_MB megabytes: the platform's Helm 3 example
(with its 18 service accounts, minus the hooks Helm 3 drops) followed by as many
ConfigMaps, Services and Deployments of other releases as it takes.

usage: make_stream.py SIZE_MB OUT"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
size = float(sys.argv[1]) * 1024 * 1024
platform = open(os.path.join(HERE, "..", "examples", "rendered-helm4.yaml")).read()
parts = [platform]
total = len(platform)
i = 0
while total < size:
    doc = (
        f"---\n# Source: other/templates/cm-{i}.yaml\napiVersion: v1\nkind: ConfigMap\n"
        f"metadata:\n  name: other-{i}\n  labels:\n    app.kubernetes.io/name: other\n    app.kubernetes.io/instance: other-{i}\n"
        f"data:\n  enabled: \"on\"\n  mode: \"0755\"\n  config.yaml: |\n    key: value-{i}\n    list: [a, b, c]\n"
        f"    nested:\n      timeout: 30s\n      retries: 3\n      endpoints: [https://a.example, https://b.example]\n"
        f"  banner.txt: |-\n    Welcome to other-{i}.\n    Managed by Helm.\n"
        f"  checksum: {i:064x}\n"
        if i % 3 == 0 else
        f"---\n# Source: other/templates/svc-{i}.yaml\napiVersion: v1\nkind: Service\n"
        f"metadata:\n  name: other-{i}\n  labels:\n    app.kubernetes.io/name: other\n    app.kubernetes.io/instance: other-{i}\n"
        f"spec:\n  type: ClusterIP\n  selector:\n    app: other-{i}\n  ports:\n    - name: http\n      port: 80\n      targetPort: http\n      protocol: TCP\n"
        f"    - name: metrics\n      port: 9090\n      targetPort: metrics\n      protocol: TCP\n"
        f"    - name: grpc\n      port: 9000\n      targetPort: grpc\n      protocol: TCP\n"
        if i % 3 == 1 else
        f"---\n# Source: other/templates/deploy-{i}.yaml\napiVersion: apps/v1\nkind: Deployment\n"
        f"metadata:\n  name: other-{i}\nspec:\n  selector:\n    matchLabels:\n      app: other-{i}\n"
        f"  template:\n    metadata:\n      labels:\n        app: other-{i}\n      annotations:\n"
        f"        checksum/config: {i:064x}\n        checksum/secret: {i * 7:064x}\n    spec:\n      containers:\n"
        f"        - name: app\n          image: example/other:{i}\n          env:\n            - name: MODE\n              value: \"yes\"\n"
        f"            - name: LEVEL\n              value: info\n          resources:\n            requests: {{cpu: 10m, memory: 32Mi}}\n"
        f"            limits: {{memory: 64Mi}}\n          readinessProbe:\n            httpGet: {{path: /healthz, port: 8080}}\n"
    )
    parts.append(doc)
    total += len(doc)
    i += 1
with open(sys.argv[2], "w") as f:
    f.write("".join(parts))
print(f"{sys.argv[2]}: {total / 1024 / 1024:.1f} MB, {sum(p.count(chr(10) + '---') + p.startswith('---') for p in parts)} documents")
