# Shared settings for the local cluster scripts (sourced, not run).
# shellcheck shell=bash
set -euo pipefail

LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$LOCAL_DIR/../.." && pwd)
# shellcheck source=../../versions.env
source "$REPO_DIR/versions.env"

# Built binaries and images live outside the repo, keyed by version, so a warm boot builds nothing.
CACHE_DIR=${SPIRE_K8S_CACHE:-/var/cache/spire-k8s-conformance}
# Everything a running cluster owns (certs, etcd data, kubelet root, logs, pids).
STATE_DIR=${SPIRE_K8S_STATE:-/var/lib/spire-k8s-local}
KUBE_BIN="$CACHE_DIR/kubernetes-$KUBERNETES_VERSION/bin"
SPIRE_BIN="$CACHE_DIR/spire-$SPIRE_VERSION/bin"
IMAGES_DIR="$CACHE_DIR/images"
SUITE_IMAGES=(socket-bridge jwt-authz)
# suite_image_tag NAME: a hash of the program's files, in byte order (as fixtures/versions.ts makes it).
suite_image_tag() {
  (cd "$REPO_DIR/suite-images/$1" && LC_ALL=C find . -maxdepth 1 -type f -printf '%f\n' | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)
}

# Addresses. The node lives on a bridge the scripts create, so every address the cluster uses
# belongs to this machine's own network namespaces.
BRIDGE=spirek8s0
NODE_IP=10.201.0.1
POD_CIDR=10.201.0.0/16
SERVICE_CIDR=10.202.0.0/16
KUBERNETES_SVC_IP=10.202.0.1
DNS_SVC_IP=10.202.0.10
CLUSTER_DOMAIN=cluster.local
NODE_NAME=spire-k8s-local
API_PORT=6443

# Host directories the SPIRE manifests' agents (and those of the audit self-test's layouts,
# tests/audit/layouts) create (hostPath, DirectoryOrCreate) for their Workload API sockets; the node
# owns them, so cluster:down removes them. The default instance uses the manifests' paths; another
# one (SPIRE_NAMESPACE) keeps them under /run/spire-k8s-conformance (fixtures/suite/instance.ts).
AGENT_SOCKET_DIRS=(/run/spire/root-agent /run/spire/nesteda-agent /run/spire/nestedb-agent /run/spire/nestedc-agent /run/spire/federated-agent /run/spire/identity-audit-node /run/spire/agent-sockets /run/spire/nest-upstream-agent /run/spire/nest-child-agent /run/spire-k8s-conformance)

# The cgroup parent of everything the kubelet runs (its cgroupRoot), under every v1 controller:
# teardown kills and removes only what lives there, never another node's kubepods.
CGROUP_PARENT=spirek8s
# The KUBE-/CNI- iptables chains that existed before this cluster booted (a foreign node's, a
# test's): kept in the build cache, which outlives the cluster, so check-clean can read it after down.
IPTABLES_BASELINE="$CACHE_DIR/host-baseline/iptables-chains"
# Chains kube-proxy (iptables mode), the kubelet and the portmap CNI plugin create: only these, and
# only when absent from the baseline, are removed at teardown.
OWN_CHAIN_RE='^(KUBE-(SERVICES|EXTERNAL-SERVICES|NODEPORTS|POSTROUTING|MARK-MASQ|MARK-DROP|FORWARD|PROXY-FIREWALL|PROXY-CANARY|KUBELET-CANARY|FIREWALL|IPTABLES-HINT)|KUBE-(SVC|SVL|EXT|FW|SEP|XLB)-[A-Z0-9]{16}|CNI-HOSTPORT-(DNAT|SETMARK|MASQ)|CNI-DN-[0-9a-f]+)$'

# cgroup_dirs: this cluster's cgroup parent under each controller that has one.
cgroup_dirs() { ls -d /sys/fs/cgroup/*/"$CGROUP_PARENT" 2>/dev/null || true; }

# iptables_chains SAVE: "table chain" for every KUBE-/CNI- chain in iptables-save (or ip6tables-save).
iptables_chains() {
  "$1" 2>/dev/null | awk '/^\*/ {t = substr($1, 2)} /^:(KUBE|CNI)-/ {print t, substr($1, 2)}' || true
}

# own_chains SAVE: the chains of iptables_chains that this cluster made (by name, and not in the baseline).
own_chains() {
  local save=$1
  iptables_chains "$save" | while read -r table chain; do
    [[ $chain =~ $OWN_CHAIN_RE ]] || continue
    grep -qxF "$save $table $chain" "$IPTABLES_BASELINE" 2>/dev/null && continue
    echo "$table $chain"
  done
}

log() { printf '[local-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'local-cluster: %s\n' "$*" >&2; exit 1; }

require_root_linux() {
  [ "$(uname -s)" = Linux ] || die "the local provider runs Kubernetes as host processes and needs Linux; use CLUSTER=k3s or CLUSTER=kubeconfig here."
  [ "$(id -u)" = 0 ] || die "the local provider needs root (it starts containerd, kubelet and sets up networking); run as root, or use CLUSTER=k3s or CLUSTER=kubeconfig."
}
