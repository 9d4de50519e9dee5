{{/*
A service's Deployment, running as the service account of the same name. Arguments: root,
name, and web (true when a Service sends it traffic on the http-web port).
*/}}
{{- define "common.deployment" -}}
{{- $global := .root.Values.global -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels" (dict "root" .root "name" .name "instance" .name) | nindent 4 }}
spec:
  replicas: 2
  revisionHistoryLimit: 3
  selector:
    matchLabels:
      app.kubernetes.io/name: dtplatform-{{ .name }}
      app.kubernetes.io/instance: {{ .name }}-{{ $global.environment }}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dtplatform-{{ .name }}
        app.kubernetes.io/instance: {{ .name }}-{{ $global.environment }}
      annotations:
        checksum/config: 3f1d2c0a9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a392817065f4e
    spec:
      serviceAccountName: {{ .name }}
      securityContext:
        runAsNonRoot: true
        fsGroup: 2000
      containers:
        - name: {{ .name }}
          image: "{{ $global.imageRegistry }}/dtplatform/{{ .name }}:{{ .root.Chart.AppVersion }}"
          imagePullPolicy: IfNotPresent
          env:
            - name: ENVIRONMENT
              value: {{ $global.environment | quote }}
            - name: FEATURE_TELEMETRY
              value: {{ $global.telemetry | quote }}
            - name: FILE_MODE
              value: {{ $global.fileMode | quote }}
            - name: LOG_LEVEL
              value: {{ $global.logLevel }}
          {{- if .web }}
          ports:
            - name: http-web
              containerPort: 8080
              protocol: TCP
          {{- end }}
          resources:
            requests:
              cpu: 100m
              memory: 256Mi
            limits:
              memory: 1Gi
{{- end }}

{{/*
A ClusterIP Service in front of the Deployment of the same name. Arguments: root, name.
*/}}
{{- define "common.service" -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels" (dict "root" .root "name" .name "instance" .name) | nindent 4 }}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: dtplatform-{{ .name }}
    app.kubernetes.io/instance: {{ .name }}-{{ .root.Values.global.environment }}
  ports:
    - name: http-web
      port: 80
      targetPort: http-web
      protocol: TCP
{{- end }}

{{/*
A database migration Job, a pre-install,pre-upgrade hook that runs as the service account
of the same name (itself a hook of a lower weight). Arguments: root, name.
*/}}
{{- define "common.migrationJob" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels" (dict "root" .root "name" .name "instance" .root.Chart.Name) | nindent 4 }}
  annotations:
    {{- include "common.hook" (dict "weight" -5) | nindent 4 }}
spec:
  backoffLimit: 3
  template:
    metadata:
      labels:
        app.kubernetes.io/name: dtplatform-{{ .name }}
    spec:
      restartPolicy: Never
      serviceAccountName: {{ .name }}
      containers:
        - name: migrate
          image: "{{ .root.Values.global.imageRegistry }}/dtplatform/{{ .root.Chart.Name }}-migrations:{{ .root.Chart.AppVersion }}"
          args: ["migrate", "--to", "latest"]
{{- end }}
