#!/usr/bin/env bash
# Measures the local cluster: warm `cluster:up` to node Ready and CoreDNS answering, the memory of
# the idle node, and `cluster:down`. With --cold, first times a build from scratch into a fresh
# cache and Go build cache (tens of minutes on 2 cores). Prints one line per figure.
#
#   bash scripts/bench-local-cluster.sh [--cold] [--runs N]
set -euo pipefail
cd "$(dirname "$0")/.."
source cluster/local/lib.sh
require_root_linux

cold=0 runs=3
while [ $# -gt 0 ]; do
  case $1 in
    --cold) cold=1 ;;
    --runs) runs=$2; shift ;;
    *) die "unknown option $1 (use --cold, --runs N)" ;;
  esac
  shift
done

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN {printf "%.1f", b - a}'; }

if [ "$cold" = 1 ]; then
  tmp=$(mktemp -d)
  t=$(now)
  SPIRE_K8S_CACHE="$tmp/cache" GOCACHE="$tmp/gocache" bash cluster/local/build.sh >/dev/null 2>&1
  echo "cold build (all binaries and images, empty Go build cache): $(elapsed "$t") s"
  rm -rf "$tmp"
fi

bash cluster/local/build.sh >/dev/null 2>&1   # make sure the cache is warm
bash cluster/local/down.sh >/dev/null 2>&1 || true
for i in $(seq 1 "$runs"); do
  t=$(now)
  bash cluster/local/up.sh >/dev/null 2>&1
  echo "run $i: warm cluster:up to node Ready and CoreDNS answering: $(elapsed "$t") s"
  # Idle memory: the host processes plus everything in the pods' cgroups, once things settle.
  kubectl() { "$KUBE_BIN/kubectl" --kubeconfig "$STATE_DIR/admin.kubeconfig" "$@"; }
  kubectl wait --for=condition=Available -n local-path-storage deployment/local-path-provisioner --timeout 60s >/dev/null
  rss=0
  for p in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy; do
    rss=$((rss + $(awk '/VmRSS/ {print $2}' "/proc/$(cat "$STATE_DIR/run/$p.pid")/status")))
  done
  pods=$(cat /sys/fs/cgroup/memory/kubepods/memory.usage_in_bytes 2>/dev/null || echo 0)
  shims=$(pgrep -f "containerd-shim-runc-v2 .*$STATE_DIR" | xargs -r -I{} awk '/VmRSS/ {print $2}' /proc/{}/status | awk '{s+=$1} END {print s+0}')
  echo "run $i: idle memory: $((rss / 1024)) MiB control plane and node processes, $((shims / 1024)) MiB shims, $((pods / 1048576)) MiB pods (cgroup usage, incl. page cache)"
  t=$(now)
  bash cluster/local/down.sh >/dev/null 2>&1
  echo "run $i: cluster:down: $(elapsed "$t") s"
done
