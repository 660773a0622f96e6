{{/* The chart name, at most 63 characters (a label value). */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name: <release>-sluice, or the release name when it already says sluice. */}}
{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.labels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component: (dict "ctx" $ "component" "api"). */}}
{{- define "sluice.componentLabels" -}}
{{ include "sluice.labels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sluice.componentSelectorLabels" -}}
{{ include "sluice.selectorLabels" .ctx }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "sluice.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) }}
{{- end }}

{{/* imagePullSecrets entries from names or {name} objects. */}}
{{- define "sluice.imagePullSecrets" -}}
{{- range . }}
- name: {{ if kindIs "string" . }}{{ . }}{{ else }}{{ .name }}{{ end }}
{{- end }}
{{- end }}

{{- define "sluice.apiServiceAccountName" -}}
{{- if .Values.api.serviceAccount.create }}
{{- default (printf "%s-api" (include "sluice.fullname" .)) .Values.api.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.api.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sluice.workerServiceAccountName" -}}
{{- if .Values.worker.serviceAccount.create }}
{{- default (printf "%s-worker" (include "sluice.fullname" .)) .Values.worker.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.worker.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The ServiceAccount step pods run as. */}}
{{- define "sluice.stepServiceAccountName" -}}
{{- $sa := .Values.runner.kubernetes.serviceAccount }}
{{- if $sa.create }}
{{- default (printf "%s-step" (include "sluice.fullname" .)) $sa.name }}
{{- else }}
{{- default "default" $sa.name }}
{{- end }}
{{- end }}

{{/* The namespace step pods run in. */}}
{{- define "sluice.runnerNamespace" -}}
{{- default .Release.Namespace .Values.runner.kubernetes.namespace }}
{{- end }}

{{- define "sluice.databaseSecretName" -}}
{{- default (printf "%s-postgresql" (include "sluice.fullname" .)) .Values.postgresql.existingSecret }}
{{- end }}

{{- define "sluice.databaseSecretKey" -}}
{{- if .Values.postgresql.existingSecret }}{{ .Values.postgresql.existingSecretKey }}{{ else }}DATABASE_URL{{ end }}
{{- end }}

{{/* The artifact claim's name; empty when persistence is off. */}}
{{- define "sluice.artifactClaimName" -}}
{{- if .Values.artifacts.persistence.enabled }}
{{- default (printf "%s-artifacts" (include "sluice.fullname" .)) .Values.artifacts.persistence.existingClaim }}
{{- end }}
{{- end }}

{{- define "sluice.temporalTlsMountPath" -}}/etc/sluice/temporal-tls{{- end }}

{{/* Environment shared by the API and the worker: the ConfigMap, the database URL, HOME on the writable /tmp. */}}
{{- define "sluice.commonEnv" -}}
envFrom:
  - configMapRef:
      name: {{ include "sluice.fullname" . }}-config
env:
  - name: DATABASE_URL
    valueFrom:
      secretKeyRef:
        name: {{ include "sluice.databaseSecretName" . }}
        key: {{ include "sluice.databaseSecretKey" . }}
  - name: HOME
    value: /tmp
{{- end }}

{{/* Volumes shared by the API and the worker. */}}
{{- define "sluice.commonVolumes" -}}
- name: tmp
  emptyDir: {}
- name: data
  emptyDir: {}
- name: artifacts
{{- if .Values.artifacts.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ include "sluice.artifactClaimName" . }}
{{- else }}
  emptyDir: {}
{{- end }}
{{- if and .Values.temporal.tls.enabled .Values.temporal.tls.existingSecret }}
- name: temporal-tls
  secret:
    secretName: {{ .Values.temporal.tls.existingSecret }}
    defaultMode: 288 # 0440
{{- end }}
{{- end }}

{{/* Mounts of those volumes: (dict "ctx" $ "readOnlyArtifacts" bool). */}}
{{- define "sluice.commonVolumeMounts" -}}
- name: tmp
  mountPath: /tmp
- name: data
  mountPath: /var/lib/sluice
- name: artifacts
  mountPath: {{ .ctx.Values.artifacts.mountPath }}
  {{- if .readOnlyArtifacts }}
  readOnly: true
  {{- end }}
{{- if and .ctx.Values.temporal.tls.enabled .ctx.Values.temporal.tls.existingSecret }}
- name: temporal-tls
  mountPath: {{ include "sluice.temporalTlsMountPath" .ctx }}
  readOnly: true
{{- end }}
{{- end }}

{{/* Restarts pods when their configuration changes (helm upgrade with new values). */}}
{{- define "sluice.configChecksums" -}}
checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
