#!/usr/bin/env bash
# Packs the built binaries into single-layer image archives (docker-archive format, which
# `ctr images import` reads) under the very names users pull, laid out like the official images:
# FROM scratch, same paths, users and entrypoints. Archives are byte-reproducible, so an image's
# digest depends only on what is in it.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

# image REF USER ENTRYPOINT_JSON WORKDIR SRC:DEST...
image() {
  local ref=$1 user=$2 entrypoint=$3 workdir=$4; shift 4
  local archive
  archive="$IMAGES_DIR/$(printf '%s' "$ref" | tr '/:' '__').tar"
  [ -s "$archive" ] && [ "${FORCE_IMAGES:-0}" = 0 ] && return
  local work
  work=$(mktemp -d)
  mkdir -p "$work/rootfs/tmp" "$work/rootfs/etc/ssl/certs" "$work/image"
  chmod 1777 "$work/rootfs/tmp"
  [ -f "$CA_BUNDLE" ] && cp "$CA_BUNDLE" "$work/rootfs/etc/ssl/certs/"
  local pair src dest
  for pair in "$@"; do
    src=${pair%%:*} dest=${pair#*:}
    mkdir -p "$work/rootfs/$(dirname "$dest")"
    cp -a "$src" "$work/rootfs/$dest"
  done
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
  local layer_sha config_sha
  layer_sha=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mv "$work/layer.tar" "$work/image/$layer_sha.tar"
  jq -cn --arg user "$user" --argjson ep "$entrypoint" --arg wd "$workdir" --arg diff "sha256:$layer_sha" '{
      architecture: "amd64", os: "linux", created: "1970-01-01T00:00:00Z",
      config: {User: $user, Entrypoint: $ep, WorkingDir: $wd,
               Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
      rootfs: {type: "layers", diff_ids: [$diff]}}' > "$work/config.json"
  config_sha=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/image/$config_sha.json"
  jq -cn --arg c "$config_sha.json" --arg l "$layer_sha.tar" --arg ref "$ref" \
    '[{Config: $c, RepoTags: [$ref], Layers: [$l]}]' > "$work/image/manifest.json"
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/image" -cf "$archive.partial" .
  mv "$archive.partial" "$archive"
  rm -rf "$work"
  log "image $ref -> $archive"
}

# busybox: Debian's static build with an applet link for each command, as in the official image.
busybox_links() {
  local dir=$1
  mkdir -p "$dir/bin"
  cp /bin/busybox "$dir/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
  done
}

mkdir -p "$IMAGES_DIR"
spire="$SPIRE_BIN"
image "ghcr.io/spiffe/spire-server:$SPIRE_VERSION" 1000:1000 '["/opt/spire/bin/spire-server","run"]' /opt/spire \
  "$spire/spire-server:opt/spire/bin/spire-server"
image "ghcr.io/spiffe/spire-agent:$SPIRE_VERSION" 0:0 '["/opt/spire/bin/spire-agent","run"]' /opt/spire \
  "$spire/spire-agent:opt/spire/bin/spire-agent"
image "ghcr.io/spiffe/oidc-discovery-provider:$SPIRE_VERSION" 1000:1000 '["/opt/spire/bin/oidc-discovery-provider"]' /opt/spire \
  "$spire/oidc-discovery-provider:opt/spire/bin/oidc-discovery-provider"
image "ghcr.io/spiffe/spire-controller-manager:$SPIRE_CONTROLLER_MANAGER_VERSION" 65532:65532 '["/spire-controller-manager"]' / \
  "$CACHE_DIR/spire-controller-manager-$SPIRE_CONTROLLER_MANAGER_VERSION/bin/spire-controller-manager:spire-controller-manager"
image "ghcr.io/spiffe/spiffe-helper:$SPIFFE_HELPER_VERSION" 0:0 '["/spiffe-helper"]' / \
  "$CACHE_DIR/spiffe-helper-$SPIFFE_HELPER_VERSION/bin/spiffe-helper:spiffe-helper"
image "registry.k8s.io/coredns/coredns:v$COREDNS_VERSION" 0:0 '["/coredns"]' / \
  "$CACHE_DIR/coredns-$COREDNS_VERSION/bin/coredns:coredns"
image "docker.io/rancher/local-path-provisioner:v$LOCAL_PATH_PROVISIONER_VERSION" 0:0 '["local-path-provisioner"]' / \
  "$CACHE_DIR/local-path-provisioner-$LOCAL_PATH_PROVISIONER_VERSION/bin/local-path-provisioner:usr/bin/local-path-provisioner"
image "$PAUSE_IMAGE" 65535:65535 '["/pause"]' / "$CACHE_DIR/pause/bin/pause:pause"
for name in "${SUITE_IMAGES[@]}"; do
  tag=$(suite_image_tag "$name")
  image "$SUITE_IMAGES_REPOSITORY/$name:$tag" 65532:65532 "[\"/$name\"]" / "$CACHE_DIR/$name-$tag/bin/$name:$name"
done
bb=$(mktemp -d)
busybox_links "$bb"
image "$BUSYBOX_IMAGE" 0:0 '["sh"]' / "$bb/bin:bin"
rm -rf "$bb"
