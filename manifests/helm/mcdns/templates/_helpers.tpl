{{/* Full name: the release name, or <release>-mcdns when the release name does not contain "mcdns". */}}
{{- define "mcdns.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "mcdns.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mcdns.labels" -}}
{{ include "mcdns.selectorLabels" . }}
app.kubernetes.io/part-of: mcdns
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "mcdns.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "mcdns.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "mcdns.kubefedNamespace" -}}
{{- default "kube-federation-system" (index .Values.config "kubefed-namespace") -}}
{{- end -}}

{{- define "mcdns.leaseName" -}}
{{- default "mcdns" (index .Values.config "leader-election-id") -}}
{{- end -}}

{{- define "mcdns.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Whether provider $name is among config.provider. */}}
{{- define "mcdns.hasProvider" -}}
{{- if has .name (.root.Values.config.provider | default list) -}}true{{- end -}}
{{- end -}}

{{/* The container's arguments: `run`, then the flags from config sorted by name, then extraArgs. */}}
{{- define "mcdns.args" -}}
- run
{{- $config := deepCopy .Values.config }}
{{- if and .Values.providers.azure.configSecret.name (not (index $config "azure-config-file")) }}
{{- $_ := set $config "azure-config-file" "/etc/mcdns/azure/azure.json" }}
{{- end }}
{{- if .Values.kubeconfigSecret.name }}
{{- $_ := set $config "kubeconfig" "/etc/mcdns/kubeconfig/kubeconfig" }}
{{- end }}
{{- range $tls := list (dict "secret" .Values.providers.powerdns.tlsSecret "dir" "/etc/mcdns/powerdns-tls" "ca" "pdns-tls-ca" "cert" "pdns-tls-client-cert" "key" "pdns-tls-client-cert-key") (dict "secret" .Values.providers.corednsEtcd.tlsSecret "dir" "/etc/mcdns/etcd-tls" "ca" "etcd-ca-file" "cert" "etcd-cert-file" "key" "etcd-key-file") }}
{{- if $tls.secret.name }}
{{- if $tls.secret.caKey }}{{ $_ := set $config $tls.ca (printf "%s/%s" $tls.dir $tls.secret.caKey) }}{{ end }}
{{- if $tls.secret.certKey }}{{ $_ := set $config $tls.cert (printf "%s/%s" $tls.dir $tls.secret.certKey) }}{{ end }}
{{- if $tls.secret.keyKey }}{{ $_ := set $config $tls.key (printf "%s/%s" $tls.dir $tls.secret.keyKey) }}{{ end }}
{{- end }}
{{- end }}
{{- $_ := set $config "metrics-address" (printf ":%v" .Values.metrics.port) }}
{{- range $name := keys $config | sortAlpha }}
{{- $value := index $config $name }}
{{- if kindIs "slice" $value }}
{{- range $value }}
- {{ printf "--%s=%v" $name . | quote }}
{{- end }}
{{- else if kindIs "bool" $value }}
{{- if $value }}
- {{ printf "--%s" $name | quote }}
{{- end }}
{{- else if and (not (kindIs "invalid" $value)) (ne (toString $value) "") }}
- {{ printf "--%s=%v" $name $value | quote }}
{{- end }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}
