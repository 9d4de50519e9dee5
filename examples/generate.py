#!/usr/bin/env python3
"""Writes the example rendered output of the platform's charts, in the two forms Helm hands
a post-renderer: Helm 3 (`# Source:` comments, no hooks) and Helm 4 (filename annotations,
hooks included). Run from anywhere: python3 examples/generate.py. The output is committed;
tests check it is current."""
import os

ENV = "prod"
CHART = "dtplatform"
HERE = os.path.dirname(os.path.abspath(__file__))

# (service, service account, kind of workload, has a Service, is a migration hook)
WORKLOADS = [
    ("aisvc", "aisvc", "Deployment", True, False),
    ("datasourcesvc", "datasourcesvc", "Deployment", True, False),
    ("filesvc", "filesvc-migrations", "Job", False, True),
    ("filesvc", "filesvc", "Deployment", True, False),
    ("itemsvc", "itemsvc-migrations", "Job", False, True),
    ("itemsvc", "itemsvc-rdbms-migrations", "Job", False, True),
    ("itemsvc", "itemsvc-telemetry-worker", "Deployment", False, False),
    ("itemsvc", "itemsvc-worker", "Deployment", False, False),
    ("itemsvc", "itemsvc", "Deployment", True, False),
    ("objectmodelsvc", "objectmodelsvc", "Deployment", True, False),
    ("passportsvc", "passportsvc-migrations", "Job", False, True),
    ("passportsvc", "passportsvc", "Deployment", True, False),
    ("platform-notificationsvc", "platform-notificationsvc-api", "Deployment", True, False),
    ("platform-notificationsvc", "platform-notificationsvc-worker", "Deployment", False, False),
    ("scriptmanager", "scriptmanager", "Deployment", True, False),
    ("workflowsvc", "workflowsvc-api", "Deployment", True, False),
    ("workflowsvc", "workflowsvc-backend", "Deployment", False, False),
    ("workflowwkr", "workflowwkr-backend", "Deployment", False, False),
]

HOOK = """    "helm.sh/hook": pre-install,pre-upgrade
    "helm.sh/hook-weight": "{weight}"
    "helm.sh/hook-delete-policy": before-hook-creation"""


def labels(name, instance, indent):
    pad = " " * indent
    return (f"{pad}app.kubernetes.io/name: dtplatform-{name}\n"
            f"{pad}app.kubernetes.io/instance: {instance}-{ENV}\n"
            f"{pad}app.kubernetes.io/version: \"4.12.0\"\n"
            f"{pad}app.kubernetes.io/managed-by: Helm\n"
            f"{pad}helm.sh/chart: {name}-4.12.0\n")


def service_account(svc, sa, hook):
    annotations = ("  annotations:\n" + HOOK.format(weight=-10) + "\n") if hook else ""
    return ("templates/serviceaccount.yaml" if not hook else "templates/migrations-serviceaccount.yaml",
            f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: {sa}
  labels:
{labels(sa, svc, 4)}{annotations}automountServiceAccountToken: true
""", hook)


def container(sa, port):
    ports = f"""          ports:
            - name: http-web
              containerPort: {port}
              protocol: TCP
""" if port else ""
    return f"""        - name: {sa}
          image: "registry.example-domain.com/dtplatform/{sa}:4.12.0"
          imagePullPolicy: IfNotPresent
          env:
            - name: ENVIRONMENT
              value: "{ENV}"
            - name: FEATURE_TELEMETRY
              value: "on"
            - name: FILE_MODE
              value: "0755"
            - name: LOG_LEVEL
              value: info
{ports}          resources:
            requests:
              cpu: 100m
              memory: 256Mi
            limits:
              memory: 1Gi
"""


def deployment(svc, sa, port):
    name = sa
    return ("templates/deployment.yaml" if svc == sa else f"templates/{sa.removeprefix(svc + '-')}-deployment.yaml",
            f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
{labels(name, name, 4)}spec:
  replicas: 2
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: dtplatform-{name}
      app.kubernetes.io/instance: {name}-{ENV}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dtplatform-{name}
        app.kubernetes.io/instance: {name}-{ENV}
      annotations:
        checksum/config: 3f1d2c0a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817065f4e
    spec:
      serviceAccountName: {sa}
      securityContext:
        runAsNonRoot: true
        fsGroup: 2000
      containers:
{container(sa, port)}""", False)


def job(svc, sa):
    return (f"templates/{sa.removeprefix(svc + '-')}-job.yaml",
            f"""apiVersion: batch/v1
kind: Job
metadata:
  name: {sa}
  labels:
{labels(sa, svc, 4)}  annotations:
{HOOK.format(weight=-5)}
spec:
  backoffLimit: 3
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dtplatform-{sa}
    spec:
      restartPolicy: Never
      serviceAccountName: {sa}
      containers:
        - name: migrate
          image: "registry.example-domain.com/dtplatform/{svc}-migrations:4.12.0"
          args: ["migrate", "--to", "latest"]
""", True)


def service(name, port):
    return ("templates/service.yaml", f"""apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels:
{labels(name, name, 4)}spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: dtplatform-{name}
    app.kubernetes.io/instance: {name}-{ENV}
  ports:
    - name: http-web
      port: 80
      targetPort: http-web
      protocol: TCP
""", False)


def scriptworker():
    return [
        ("templates/serviceaccount.yaml", f"""apiVersion: v1
kind: ServiceAccount
metadata:
  name: scriptworker
  labels:
{labels('scriptworker', 'scriptworker', 4)}automountServiceAccountToken: false
""", False),
        ("templates/deployment.yaml", f"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: scriptworker
  labels:
{labels('scriptworker', 'scriptworker', 4)}spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: dtplatform-scriptworker
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dtplatform-scriptworker
        app.kubernetes.io/instance: scriptworker-{ENV}
    spec:
      serviceAccountName: scriptworker
      automountServiceAccountToken: false
      containers:
        - name: scriptworker
          image: "registry.example-domain.com/dtplatform/scriptworker:4.12.0"
          env:
            - name: SCRIPTMANAGER_URL
              value: http://scriptmanager
            - name: SANDBOX
              value: "yes"
""", False),
        ("templates/hpa.yaml", f"""apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: scriptworker
  labels:
{labels('scriptworker', 'scriptworker', 4)}spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: scriptworker
  minReplicas: 1
  maxReplicas: 20
  metrics:
    - type: External
      external:
        metric:
          name: scriptmanager_job_queue_size
        target:
          type: AverageValue
          averageValue: "5"
""", False),
    ]


def extras():
    return [
        ("templates/configmap.yaml", f"""apiVersion: v1
kind: ConfigMap
metadata:
  name: platform-config
  labels:
{labels('platform', 'platform', 4)}data:
  # Strings that YAML 1.1 readers would turn into booleans or numbers if unquoted.
  telemetry: "on"
  strictMode: "yes"
  retries: "n"
  umask: "0755"
  maxItems: "1_000"
  threshold: "1e3"
  releaseDate: "2001-12-14"
  nothing: "~"
  empty: "null"
  application.yaml: |
    server:
      port: 8080
    features:
      telemetry: on
  banner.txt: |+
    SMI Digital Twin Platform

  motd: >-
    Welcome to the
    platform.
""", False),
        ("templates/ingress.yaml", f"""apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: platform
  labels:
{labels('platform', 'platform', 4)}  annotations:
    nginx.ingress.kubernetes.io/proxy-body-size: 512m
spec:
  ingressClassName: nginx
  rules:
    - host: app.example-domain.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: passportsvc
                port:
                  name: http-web
    - host: api.example-domain.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: itemsvc
                port:
                  name: http-web
    - host: id.example-domain.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: passportsvc
                port:
                  name: http-web
""", False),
    ]


ORDER = ["ServiceAccount", "ConfigMap", "Service", "Deployment", "Job", "HorizontalPodAutoscaler", "Ingress"]


def documents():
    docs = []
    for svc, sa, kind, has_service, hook in WORKLOADS:
        docs.append((svc,) + service_account(svc, sa, hook))
        if kind == "Deployment":
            docs.append((svc,) + deployment(svc, sa, 8080 if has_service else None))
            if has_service:
                docs.append((svc,) + service(sa, 8080))
        else:
            docs.append((svc,) + job(svc, sa))
    docs += [("scriptworker",) + d for d in scriptworker()]
    docs += [("platform",) + d for d in extras()]
    kind_of = lambda text: text.split("kind: ", 1)[1].split("\n", 1)[0]
    docs.sort(key=lambda d: ORDER.index(kind_of(d[2])))
    return docs


def source(svc, template):
    return f"{CHART}/charts/{svc}/{template}" if svc != "platform" else f"{CHART}/{template}"


def helm3():
    out = []
    for svc, template, text, hook in documents():
        if hook:
            continue  # Helm 3 does not post-render hooks (helm/helm#7891)
        out.append(f"---\n# Source: {source(svc, template)}\n{text}")
    return "".join(out)


def helm4():
    out = []
    for svc, template, text, hook in documents():
        annotation = f"    postrenderer.helm.sh/postrender-filename: {source(svc, template)}\n"
        head, rest = text.split("metadata:\n", 1)
        if "\n  annotations:\n" in "\n" + rest.split("\nspec:", 1)[0].split("\ndata:", 1)[0]:
            rest = rest.replace("  annotations:\n", "  annotations:\n" + annotation, 1)
        else:
            lines = rest.split("\n")
            # after the labels block of metadata
            i = 1
            while lines[i].startswith("    "):
                i += 1
            lines.insert(i, "  annotations:\n" + annotation.rstrip("\n"))
            rest = "\n".join(lines)
        out.append(f"---\n{head}metadata:\n{rest}")
    return "".join(out)


with open(os.path.join(HERE, "rendered-helm3.yaml"), "w") as f:
    f.write(helm3())
with open(os.path.join(HERE, "rendered-helm4.yaml"), "w") as f:
    f.write(helm4())
