#!/usr/bin/env bash
# Boots a single-node Kubernetes as host processes (as kubernetes' hack/local-up-cluster.sh does):
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, containerd, kubelet, kube-proxy,
# then CoreDNS and a default StorageClass. Prints the admin kubeconfig's path on stdout.
#
# A healthy running cluster is reused; anything else (a crash, a killed run) is torn down and
# booted afresh. Binaries come from build.sh's cache and are built first when missing.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root_linux

KUBECONFIG_OUT="$STATE_DIR/admin.kubeconfig"
LOGS="$STATE_DIR/logs"
RUN="$STATE_DIR/run"
CONTAINERD_SOCK="$RUN/containerd/containerd.sock"
t0=$SECONDS

kubectl() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_OUT" "$@"; }

healthy() {
  [ -s "$KUBECONFIG_OUT" ] || return 1
  # Certificates are renewed by booting afresh a week before they expire.
  openssl x509 -checkend 604800 -noout -in "$STATE_DIR/pki/apiserver.crt" >/dev/null 2>&1 || return 1
  for p in etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy; do
    [ -s "$RUN/$p.pid" ] && kill -0 "$(cat "$RUN/$p.pid")" 2>/dev/null || return 1
  done
  kubectl get --raw /readyz >/dev/null 2>&1 &&
    [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] &&
    [ "$(kubectl -n kube-system get deployment coredns -o jsonpath='{.status.readyReplicas}' 2>/dev/null)" = 1 ] &&
    [ "$(kubectl -n local-path-storage get deployment local-path-provisioner -o jsonpath='{.status.readyReplicas}' 2>/dev/null)" = 1 ]
}

# start NAME ARGS...: runs a component in its own session, logging to $LOGS/NAME.log.
start() {
  local name=$1; shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! > "$RUN/$name.pid"
}

# wait_for WHAT SECONDS CMD...: polls CMD until it succeeds; on timeout names WHAT and the log.
wait_for() {
  local what=$1 limit=$2 deadline=$((SECONDS + $2)); shift 2
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then
      die "$what not ready after ${limit}s; logs: $LOGS"
    fi
    sleep 0.5
  done
}

# alive NAME: fails fast, with the tail of its log, when a component has exited.
alive() {
  kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null && return
  tail -n 20 "$LOGS/$1.log" >&2
  die "$1 exited during start-up (log: $LOGS/$1.log)"
}

if healthy; then
  log "reusing the running cluster (healthy)"
  echo "$KUBECONFIG_OUT"
  exit 0
fi
# Any trace of an earlier cluster (its state, its bridge, its cgroups): tear it down first.
if [ -d "$STATE_DIR" ] || ip link show "$BRIDGE" >/dev/null 2>&1 || [ -n "$(cgroup_dirs)" ]; then
  log "found a cluster that is not healthy (or its remains): tearing it down first"
  "$LOCAL_DIR/down.sh"
fi

# Builds whatever the cache lacks (cold: tens of minutes); a warm cache makes this a no-op.
"$LOCAL_DIR/build.sh" >&2
for tool in containerd containerd-shim-runc-v2 runc iptables iptables-save conntrack openssl jq; do
  command -v "$tool" >/dev/null || die "$tool is missing: run .ci/install-deps.sh (Debian packages) first"
done
[ -x /usr/lib/cni/bridge ] || die "CNI plugins are missing: apt-get install containernetworking-plugins"

# Two kube-proxies cannot share one network namespace's iptables: refuse rather than fight one.
if iptables-save -t nat 2>/dev/null | grep -q '^:KUBE-SERVICES '; then
  die "another Kubernetes node (k3s, kubeadm, a kube-proxy) manages this host's iptables (nat chain KUBE-SERVICES exists): stop it, or use CLUSTER=kubeconfig to test that cluster instead (if it is what a crashed local cluster left, npm run cluster:down removes it)."
fi
mkdir -p "$(dirname "$IPTABLES_BASELINE")"
for save in iptables-save ip6tables-save; do
  iptables_chains "$save" | sed "s/^/$save /"
done > "$IPTABLES_BASELINE"

mkdir -p "$LOGS" "$RUN" "$STATE_DIR/cni/net.d"

# The kubelet's cgroupRoot, under every v1 controller (cpuset needs its CPUs and memory nodes set).
for ctl in /sys/fs/cgroup/*/; do
  [ -e "$ctl/cgroup.procs" ] || continue
  mkdir -p "$ctl$CGROUP_PARENT"
  for f in cpuset.cpus cpuset.mems; do
    [ -e "$ctl$f" ] && cat "$ctl$f" > "$ctl$CGROUP_PARENT/$f"
  done
done

# --- host networking -------------------------------------------------------------------------
modprobe br_netfilter 2>/dev/null || true
modprobe overlay 2>/dev/null || true
sysctl -qw net.ipv4.ip_forward=1 net.bridge.bridge-nf-call-iptables=1 2>/dev/null ||
  die "cannot enable IP forwarding and bridge netfilter (sysctl); is br_netfilter available?"
ip link add "$BRIDGE" type bridge
ip addr add "$NODE_IP/16" dev "$BRIDGE"
ip link set "$BRIDGE" up
# Pods get no route to the outside (no masquerade, and CoreDNS forwards nowhere): the cluster only
# talks to itself.
cat > "$STATE_DIR/cni/net.d/10-spirek8s.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "spirek8s",
  "plugins": [
    {"type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR", "gateway": "$NODE_IP"}]],
              "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$STATE_DIR/cni/ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
echo "search default.svc.$CLUSTER_DOMAIN svc.$CLUSTER_DOMAIN $CLUSTER_DOMAIN" > "$STATE_DIR/resolv.conf"

# --- PKI and etcd ------------------------------------------------------------------------------
"$LOCAL_DIR/certs.sh"
PKI="$STATE_DIR/pki"
start etcd "$KUBE_BIN/etcd" --name local --data-dir "$STATE_DIR/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster local=http://127.0.0.1:2380 --log-level warn \
  --unsafe-no-fsync --quota-backend-bytes 4294967296

# --- control plane -----------------------------------------------------------------------------
# --enable-aggregator-routing: the API server calls admission webhooks and aggregated APIs at their
# Service's endpoint (pod IP and target port), as it would from inside a cluster network. Without
# it, it dials the Service's DNS name (name.namespace.svc) through this host's resolver, which does
# not know the cluster's names and hands them to another TLS server.
issuer="https://kubernetes.default.svc.$CLUSTER_DOMAIN"
start kube-apiserver "$KUBE_BIN/kube-apiserver" \
  --etcd-servers http://127.0.0.1:2379 --bind-address 0.0.0.0 --secure-port "$API_PORT" \
  --advertise-address "$NODE_IP" --service-cluster-ip-range "$SERVICE_CIDR" \
  --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
  --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
  --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" \
  --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
  --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
  --service-account-issuer "$issuer" --service-account-key-file "$PKI/sa.pub" \
  --service-account-signing-key-file "$PKI/sa.key" --allow-privileged=true --profiling=false \
  --endpoint-reconciler-type lease --enable-aggregator-routing=true --v 1
wait_for "etcd" 30 curl -sf http://127.0.0.1:2379/health
alive kube-apiserver
wait_for "kube-apiserver (/readyz)" 90 kubectl get --raw /readyz
log "API server ready after $((SECONDS - t0)) s"

start kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
  --kubeconfig "$STATE_DIR/controller-manager.kubeconfig" \
  --authentication-kubeconfig "$STATE_DIR/controller-manager.kubeconfig" \
  --authorization-kubeconfig "$STATE_DIR/controller-manager.kubeconfig" \
  --service-account-private-key-file "$PKI/sa.key" --root-ca-file "$PKI/ca.crt" \
  --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" \
  --use-service-account-credentials --leader-elect=false --bind-address 127.0.0.1 --v 1
start kube-scheduler "$KUBE_BIN/kube-scheduler" \
  --kubeconfig "$STATE_DIR/scheduler.kubeconfig" \
  --authentication-kubeconfig "$STATE_DIR/scheduler.kubeconfig" \
  --authorization-kubeconfig "$STATE_DIR/scheduler.kubeconfig" \
  --leader-elect=false --bind-address 127.0.0.1 --v 1

# --- container runtime -------------------------------------------------------------------------
mkdir -p "$RUN/containerd"
cat > "$STATE_DIR/containerd.toml" <<EOF
version = 2
root = "$STATE_DIR/containerd"
state = "$RUN/containerd/state"
[grpc]
  address = "$CONTAINERD_SOCK"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This machine refuses a negative oom_score_adj; containerd would give every sandbox -998.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$STATE_DIR/cni/net.d"
EOF
start containerd containerd --config "$STATE_DIR/containerd.toml"
wait_for "containerd" 30 ctr --address "$CONTAINERD_SOCK" version
alive containerd
for archive in "$IMAGES_DIR"/*.tar; do
  ctr --address "$CONTAINERD_SOCK" -n k8s.io images import --no-unpack "$archive" >/dev/null
done
log "images imported after $((SECONDS - t0)) s"

# --- node --------------------------------------------------------------------------------------
cat > "$STATE_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$PKI/ca.crt"}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: /$CGROUP_PARENT
containerRuntimeEndpoint: "unix://$CONTAINERD_SOCK"
clusterDNS: ["$DNS_SVC_IP"]
clusterDomain: $CLUSTER_DOMAIN
resolvConf: "$STATE_DIR/resolv.conf"
tlsCertFile: "$PKI/kubelet-serving.crt"
tlsPrivateKeyFile: "$PKI/kubelet-serving.key"
readOnlyPort: 0
failSwapOn: false
serializeImagePulls: false
# A test node on a shared disk: don't evict pods because the disk is fuller than a server's would be.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
start kubelet "$KUBE_BIN/kubelet" --config "$STATE_DIR/kubelet.yaml" \
  --kubeconfig "$STATE_DIR/kubelet.kubeconfig" --hostname-override "$NODE_NAME" \
  --node-ip "$NODE_IP" --root-dir "$STATE_DIR/kubelet" --v 1

cat > "$STATE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: "$STATE_DIR/kube-proxy.kubeconfig"}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
# This sandbox may refuse conntrack sysctls: leave them as they are.
conntrack: {maxPerCore: 0}
EOF
start kube-proxy "$KUBE_BIN/kube-proxy" --config "$STATE_DIR/kube-proxy.yaml" --v 1

node_ready() {
  [ "$(kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
wait_for "node $NODE_NAME (Ready)" 90 node_ready
log "node Ready after $((SECONDS - t0)) s"

# --- add-ons: cluster DNS and a default StorageClass ------------------------------------------
sed -e "s|@DNS_SVC_IP@|$DNS_SVC_IP|g" -e "s|@COREDNS_VERSION@|$COREDNS_VERSION|g" \
  -e "s|@CLUSTER_DOMAIN@|$CLUSTER_DOMAIN|g" -e "s|@LOCAL_PATH_PROVISIONER_VERSION@|$LOCAL_PATH_PROVISIONER_VERSION|g" \
  -e "s|@BUSYBOX_IMAGE@|$BUSYBOX_IMAGE|g" -e "s|@STORAGE_DIR@|$STATE_DIR/volumes|g" \
  <(for f in "$LOCAL_DIR"/addons/*.yaml; do cat "$f"; echo '---'; done) | kubectl apply --server-side -f - >/dev/null
kubectl -n kube-system rollout status deployment/coredns --timeout 90s >/dev/null ||
  die "CoreDNS did not become ready; see: kubectl -n kube-system describe pods -l k8s-app=kube-dns"
kubectl -n local-path-storage rollout status deployment/local-path-provisioner --timeout 90s >/dev/null ||
  die "local-path-provisioner did not become ready; see: kubectl -n local-path-storage describe pods"
dns_serving() { /bin/busybox nslookup "kubernetes.default.svc.$CLUSTER_DOMAIN" "$DNS_SVC_IP"; }
wait_for "CoreDNS answering on $DNS_SVC_IP" 30 dns_serving
log "cluster up in $((SECONDS - t0)) s; kubeconfig: $KUBECONFIG_OUT"
echo "$KUBECONFIG_OUT"
