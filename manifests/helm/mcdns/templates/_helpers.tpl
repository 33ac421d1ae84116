{{/* The chart's name: nameOverride or mcdns. */}}
{{- define "mcdns.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: fullnameOverride, or the release name when it contains the name, else <release>-<name>. */}}
{{- define "mcdns.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "mcdns.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Namespace of every namespaced object. */}}
{{- define "mcdns.namespace" -}}
{{- default .Release.Namespace .Values.namespaceOverride -}}
{{- end -}}

{{- define "mcdns.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mcdns.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "mcdns.labels" -}}
{{ include "mcdns.selectorLabels" . }}
app.kubernetes.io/part-of: mcdns
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
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

{{/* The Lease: config.leader-election-id, else the full name, so two releases never share one. */}}
{{- define "mcdns.leaseName" -}}
{{- default (include "mcdns.fullname" .) (index .Values.config "leader-election-id") -}}
{{- end -}}

{{/* The Secret holding the members' kubeconfig. */}}
{{- define "mcdns.membersSecret" -}}
{{- default (printf "%s-members" (include "mcdns.fullname" .)) .Values.members.kubeconfigSecret.name -}}
{{- end -}}

{{/* Namespaced mode: config.namespace confines mcdns to one namespace's records. */}}
{{- define "mcdns.recordsNamespace" -}}
{{- index .Values.config "namespace" | default "" -}}
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

{{/* Fails the render when a provider in config.provider lacks its credential, naming the value to set. */}}
{{- define "mcdns.checkProviders" -}}
{{- $p := .Values.providers -}}
{{- $known := list "powerdns" "azure" "coredns-etcd" -}}
{{- range (.Values.config.provider | default list) -}}
{{- if not (has . $known) -}}
{{- fail (printf "config.provider: unknown provider %q (one of powerdns, azure, coredns-etcd)" .) -}}
{{- end -}}
{{- end -}}
{{- if and (include "mcdns.hasProvider" (dict "name" "powerdns" "root" .)) (not $p.powerdns.apiKeySecret.name) -}}
{{- fail "config.provider includes powerdns: set providers.powerdns.apiKeySecret.name (an existing Secret with the API key)" -}}
{{- end -}}
{{- if include "mcdns.hasProvider" (dict "name" "azure" "root" .) -}}
{{- $sp := and $p.azure.clientSecret.name $p.azure.tenantId $p.azure.clientId -}}
{{- if not (or $p.azure.configSecret.name $sp $p.azure.workloadIdentity $p.azure.managedIdentity) -}}
{{- fail "config.provider includes azure: set providers.azure.configSecret.name (a Secret with azure.json), providers.azure.clientSecret.name with tenantId and clientId, workloadIdentity: true or managedIdentity: true" -}}
{{- end -}}
{{- if and $p.azure.workloadIdentity (not $p.azure.clientId) -}}
{{- fail "providers.azure.workloadIdentity needs providers.azure.clientId (the identity's client id)" -}}
{{- end -}}
{{- end -}}
{{- if include "mcdns.hasProvider" (dict "name" "coredns-etcd" "root" .) -}}
{{- $cert := and $p.corednsEtcd.tlsSecret.name $p.corednsEtcd.tlsSecret.certKey $p.corednsEtcd.tlsSecret.keyKey -}}
{{- if not (or $p.corednsEtcd.authSecret.name $cert $p.corednsEtcd.allowUnauthenticated) -}}
{{- fail "config.provider includes coredns-etcd: set providers.corednsEtcd.authSecret.name (etcd user and password) or providers.corednsEtcd.tlsSecret (a client certificate), or providers.corednsEtcd.allowUnauthenticated: true" -}}
{{- end -}}
{{- if not (index .Values.config "etcd-endpoints") -}}
{{- fail "config.provider includes coredns-etcd: set config.etcd-endpoints" -}}
{{- end -}}
{{- end -}}
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
{{- if .Values.members.kubeconfigSecret.enabled }}
{{- $_ := set $config "members-kubeconfig" "/etc/mcdns/members/kubeconfig" }}
{{- end }}
{{- with .Values.members.contexts }}
{{- $_ := set $config "member-contexts" (join "," .) }}
{{- end }}
{{- if index $config "leader-elect" }}
{{- $_ := set $config "leader-election-id" (include "mcdns.leaseName" .) }}
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

{{/* Rules on the records: watched; updated only to add/remove the cleanup finalizer (direct providers). */}}
{{- define "mcdns.recordRules" -}}
# Records: watched; updated only to add/remove the cleanup finalizer (direct providers).
- apiGroups: [multiclusterdns.kubefed.io]
  resources: [ingressdnsrecords, servicednsrecords, routednsrecords]
  verbs: [list, watch, update]
- apiGroups: [multiclusterdns.kubefed.io]
  resources: [ingressdnsrecords/status, servicednsrecords/status, routednsrecords/status]
  verbs: [update]
# blockOwnerDeletion on DNSEndpoints needs this where OwnerReferencesPermissionEnforcement is on.
- apiGroups: [multiclusterdns.kubefed.io]
  resources: [ingressdnsrecords/finalizers, servicednsrecords/finalizers, routednsrecords/finalizers]
  verbs: [update]
{{- end -}}

{{/* The DNSEndpoints mcdns keeps, in either group (--dnsendpoint-group). */}}
{{- define "mcdns.dnsEndpointRules" -}}
- apiGroups: [externaldns.k8s.io, multiclusterdns.kubefed.io]
  resources: [dnsendpoints]
  verbs: [get, list, watch, create, update, delete]
{{- end -}}
