{{/*
A service account. Arguments: root, name, and optionally hook (true for the service account
of a migration hook, created before its Job) and automount (default true).
*/}}
{{- define "common.serviceAccount" -}}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ .name }}
  labels:
    {{- include "common.labels" (dict "root" .root "name" .name "instance" .root.Chart.Name) | nindent 4 }}
  {{- if .hook }}
  annotations:
    {{- include "common.hook" (dict "weight" -10) | nindent 4 }}
  {{- end }}
automountServiceAccountToken: {{ ternary .automount true (hasKey . "automount") }}
{{- end }}
