{{/* Chart name, truncated to the DNS label limit. */}}
{{- define "sample-app.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Name of every object: the release name (shop-blue -> Deployment shop-blue), so runbooks and rollout knobs can
address a colour's Deployment by its release name. fullnameOverride replaces it.
*/}}
{{- define "sample-app.fullname" -}}
{{- .Values.fullnameOverride | default .Release.Name | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Colour: .Values.colour, else the release name's -blue/-green suffix, else "none". */}}
{{- define "sample-app.colour" -}}
{{- .Values.colour | default (regexFind "(blue|green)$" .Release.Name) | default "none" }}
{{- end }}

{{- define "sample-app.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The image tag actually deployed. */}}
{{- define "sample-app.version" -}}
{{- .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Labels that never change for a release: used as selectors. */}}
{{- define "sample-app.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sample-app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sample-app.labels" -}}
helm.sh/chart: {{ include "sample-app.chart" . }}
{{ include "sample-app.selectorLabels" . }}
app.kubernetes.io/version: {{ include "sample-app.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
cloudops.io/colour: {{ include "sample-app.colour" . | quote }}
{{- end }}
