#!/usr/bin/env bash
# Builds, from the Go modules pinned in versions.env, every binary and image the local cluster
# needs, into $CACHE_DIR. Each component is built once per version: a warm run builds nothing.
#
#   cluster/local/build.sh            build what is missing
#   cluster/local/build.sh --force    rebuild everything
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

FORCE=0
[ "${1:-}" = --force ] && FORCE=1

export GOFLAGS=-mod=mod GOTOOLCHAIN=local
SRC_DIR="$CACHE_DIR/src"
mkdir -p "$SRC_DIR" "$IMAGES_DIR"

# built DIR NAME...: true when every named binary already exists in DIR.
built() {
  local dir=$1; shift
  [ "$FORCE" = 0 ] || return 1
  for b in "$@"; do [ -x "$dir/$b" ] || return 1; done
}

# wrapper_module DIR: an empty module to `go get` pinned programs into, so each is built with the
# exact dependency versions its own go.mod asks for.
wrapper_module() {
  rm -rf "$1" && mkdir -p "$1" && (cd "$1" && go mod init local.build/"$(basename "$1")" >/dev/null 2>&1)
}

build_kubernetes() {
  local out=$KUBE_BIN
  built "$out" kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl etcd && return
  local t0=$SECONDS mod="$SRC_DIR/kubernetes-$KUBERNETES_VERSION" staging=${KUBERNETES_VERSION/v1./v0.}
  log "building Kubernetes $KUBERNETES_VERSION (cold: tens of minutes on 2 cores)"
  wrapper_module "$mod"
  cd "$mod"
  go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" >/dev/null
  local kgomod
  kgomod=$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$KUBERNETES_VERSION.mod
  # k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging;
  # outside its repo they resolve to their published tags (v0.<minor>.<patch>).
  local replaces
  replaces=$(awk '$2 == "=>" && $3 ~ /^\.\/staging/ {print "-replace=" $1 "=" $1 "@'"$staging"'"}' "$kgomod")
  # shellcheck disable=SC2086
  go mod edit $replaces
  local etcd_version
  etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2}' "$kgomod")
  go get "k8s.io/kubernetes@$KUBERNETES_VERSION" "go.etcd.io/etcd/server/v3@$etcd_version" >/dev/null
  local minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
  local ldflags="-s -w"
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  mkdir -p "$out"
  for cmd in kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl; do
    log "  go build $cmd"
    CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$out/$cmd" "k8s.io/kubernetes/cmd/$cmd"
  done
  log "  go build etcd $etcd_version"
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
  log "Kubernetes built in $((SECONDS - t0)) s"
}

build_spire() {
  local out=$SPIRE_BIN
  built "$out" spire-server spire-agent oidc-discovery-provider && return
  local t0=$SECONDS mod="$SRC_DIR/spire-$SPIRE_VERSION"
  log "building SPIRE $SPIRE_VERSION"
  wrapper_module "$mod"
  cd "$mod"
  mkdir -p "$out"
  [ -n "${SPIRE_GO_REPLACE:-}" ] && go mod edit -replace="$SPIRE_GO_REPLACE"
  local pkgs=(cmd/spire-server cmd/spire-agent support/oidc-discovery-provider)
  for pkg in "${pkgs[@]}"; do
    go get -tool "github.com/spiffe/spire/$pkg@v$SPIRE_VERSION" >/dev/null
  done
  # As the official images: static binaries (sqlite needs cgo), no dynamic loader in the image.
  for pkg in "${pkgs[@]}"; do
    log "  go build ${pkg##*/}"
    CGO_ENABLED=1 go build -trimpath -tags 'osusergo netgo sqlite_omit_load_extension' \
      -ldflags '-s -w -linkmode external -extldflags -static' \
      -o "$out/${pkg##*/}" "github.com/spiffe/spire/$pkg"
  done
  log "SPIRE built in $((SECONDS - t0)) s"
}

# build_program NAME VERSION PACKAGE: a static binary of PACKAGE@vVERSION, built with the
# dependency versions of its own go.mod, into $CACHE_DIR/NAME-VERSION/bin/NAME.
build_program() {
  local name=$1 version=$2 pkg=$3
  local out="$CACHE_DIR/$name-$version/bin"
  built "$out" "$name" && return
  local t0=$SECONDS mod="$SRC_DIR/$name-$version"
  log "building $name $version"
  wrapper_module "$mod"
  cd "$mod"
  go get -tool "$pkg@v$version" >/dev/null
  mkdir -p "$out"
  CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out/$name" "$pkg"
  log "$name built in $((SECONDS - t0)) s"
}

# spiffe-helper: the Go module proxy lists no versions of it, so `go install …@v` is refused; the
# exact version downloads, and builds in place with its own go.mod.
build_spiffe_helper() {
  local out="$CACHE_DIR/spiffe-helper-$SPIFFE_HELPER_VERSION/bin"
  built "$out" spiffe-helper && return
  local t0=$SECONDS dir
  log "building spiffe-helper $SPIFFE_HELPER_VERSION"
  dir=$(go mod download -json "github.com/spiffe/spiffe-helper@v$SPIFFE_HELPER_VERSION" | jq -r .Dir)
  mkdir -p "$out"
  (cd "$dir" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out/spiffe-helper" ./cmd/spiffe-helper)
  log "spiffe-helper built in $((SECONDS - t0)) s"
}

build_pause() {
  local out="$CACHE_DIR/pause/bin"
  built "$out" pause && return
  mkdir -p "$out"
  (cd "$LOCAL_DIR/pause" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out/pause" ./main.go)
}

# The programs the suite runs in pods (suite-images/): small, static, keyed by their sources' hash.
build_suite_images() {
  local name out
  for name in "${SUITE_IMAGES[@]}"; do
    out="$CACHE_DIR/$name-$(suite_image_tag "$name")/bin"
    built "$out" "$name" && continue
    mkdir -p "$out"
    (cd "$REPO_DIR/suite-images/$name" && GOFLAGS=-mod=readonly CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$out/$name" .)
    log "$name built"
  done
}

t_all=$SECONDS
build_kubernetes
build_spire
build_program spire-controller-manager "$SPIRE_CONTROLLER_MANAGER_VERSION" github.com/spiffe/spire-controller-manager/cmd
build_program coredns "$COREDNS_VERSION" github.com/coredns/coredns
build_program local-path-provisioner "$LOCAL_PATH_PROVISIONER_VERSION" github.com/rancher/local-path-provisioner
build_spiffe_helper
build_pause
build_suite_images
"$LOCAL_DIR/images.sh"
log "build complete in $((SECONDS - t_all)) s (cache: $CACHE_DIR)"
