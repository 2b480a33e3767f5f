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

# Host directories the SPIRE manifests' agents create (hostPath, DirectoryOrCreate) for their
# Workload API sockets; the node owns them, so cluster:down removes them.
AGENT_SOCKET_DIRS=(/run/spire/root-agent /run/spire/nesteda-agent /run/spire/nestedb-agent /run/spire/nestedc-agent /run/spire/federated-agent)

log() { printf '[local-cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'local-cluster: %s\n' "$*" >&2; exit 1; }

require_root_linux() {
  [ "$(uname -s)" = Linux ] || die "the local provider runs Kubernetes as host processes and needs Linux; use CLUSTER=k3s or CLUSTER=kubeconfig here."
  [ "$(id -u)" = 0 ] || die "the local provider needs root (it starts containerd, kubelet and sets up networking); run as root, or use CLUSTER=k3s or CLUSTER=kubeconfig."
}
