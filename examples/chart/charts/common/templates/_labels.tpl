{{/*
Labels of an object. Arguments (a dict): root (the calling chart's context), name (the
object's component), instance (the component its instance label names).
*/}}
{{- define "common.labels" -}}
app.kubernetes.io/name: dtplatform-{{ .name }}
app.kubernetes.io/instance: {{ .instance }}-{{ .root.Values.global.environment }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ .name }}-{{ .root.Chart.Version }}
{{- end }}

{{/*
Annotations of a pre-install,pre-upgrade hook. Arguments: weight.
*/}}
{{- define "common.hook" -}}
"helm.sh/hook": pre-install,pre-upgrade
"helm.sh/hook-weight": {{ .weight | quote }}
"helm.sh/hook-delete-policy": before-hook-creation
{{- end }}
