#!/usr/bin/env bash
# Installs or builds every real server the end-to-end tests, the demo and the bench use.
# Apt packages are installed only when missing; Go binaries are built once and cached under
# $MCDNS_CACHE (default ~/.cache/mcdns), keyed by version, so later runs take seconds.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.35.4}"
EXTERNAL_DNS_VERSION="${EXTERNAL_DNS_VERSION:-v0.22.0}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.14.7}"
CACHE="${MCDNS_CACHE:-$HOME/.cache/mcdns}"
BIN="$CACHE/bin"
mkdir -p "$BIN"

log() { printf '[install-tools] %s\n' "$*" >&2; }

need_apt=()
command -v pdns_server >/dev/null || need_apt+=(pdns-server pdns-backend-sqlite3)
[ -f /usr/lib/x86_64-linux-gnu/pdns/libgsqlite3backend.so ] || ls /usr/lib/*/pdns/libgsqlite3backend.so >/dev/null 2>&1 || need_apt+=(pdns-backend-sqlite3)
command -v etcd >/dev/null || need_apt+=(etcd-server)
command -v dig >/dev/null || need_apt+=(dnsutils)
command -v sqlite3 >/dev/null || need_apt+=(sqlite3)
command -v openssl >/dev/null || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # Debian's packages start their daemons through invoke-rc.d; we run our own on loopback.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
  # Stop any system copies that got started anyway; tests start their own.
  systemctl stop pdns etcd 2>/dev/null || true
  pkill -x pdns_server 2>/dev/null || true
fi

command -v go >/dev/null || { log "Go is required (https://go.dev) and was not found"; exit 1; }

go_install() { # name version module
  local name=$1 version=$2 module=$3 out="$BIN/$1-$2"
  if [ -x "$out" ]; then return; fi
  log "building $name $version (cached at $out afterwards)"
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "$module@$version"
  mv "$tmp/$name" "$out"; rm -rf "$tmp"
}

#go_install external-dns "$EXTERNAL_DNS_VERSION" sigs.k8s.io/external-dns
#go_install coredns "$COREDNS_VERSION" github.com/coredns/coredns

# kube-apiserver (and kubectl, used by the demo and the manifest tests) are not go-installable:
# k8s.io/kubernetes points its staging modules at ./staging with replace directives. Build them
# from a wrapper module that repeats each of those replaces with the matching v0 tag.
KAS="$BIN/kube-apiserver-$KUBE_VERSION"
KUBECTL="$BIN/kubectl-$KUBE_VERSION"
if [ ! -x "$KAS" ] || [ ! -x "$KUBECTL" ]; then
  log "building kube-apiserver and kubectl $KUBE_VERSION (cold build: 10-20 min on 2 cores)"
  w="$CACHE/src/kubernetes-$KUBE_VERSION"; mkdir -p "$w"; cd "$w"
  staging="v0.${KUBE_VERSION#v1.}"
  gomod=$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module mcdns.local/kubernetes-build"; echo
    grep -E '^go [0-9]' "$gomod"; echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"; echo
    grep -E '^\s*k8s\.io/[a-z0-9-]+ => \./staging/' "$gomod" \
      | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } > go.mod
  log "wrapper go.mod: $(grep -c '^replace' go.mod) staging replaces derived from upstream go.mod"
  export GOFLAGS="-mod=mod -buildvcs=false"
  go get "k8s.io/kubernetes/cmd/kube-apiserver@$KUBE_VERSION" "k8s.io/kubernetes/cmd/kubectl@$KUBE_VERSION"
  go build -o "$KAS.tmp" k8s.io/kubernetes/cmd/kube-apiserver && mv "$KAS.tmp" "$KAS"
  go build -o "$KUBECTL.tmp" k8s.io/kubernetes/cmd/kubectl && mv "$KUBECTL.tmp" "$KUBECTL"
fi

log "tools ready in $BIN"
