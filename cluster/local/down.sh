#!/usr/bin/env bash
# Stops everything up.sh started and removes every trace of it: processes, containers, mounts,
# network interfaces and namespaces, iptables chains, cgroups and the state directory. Safe to
# run at any time, on a healthy, half-booted or crashed cluster, and more than once.
# The build cache is kept (it is what makes the next `up` fast).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root_linux

RUN="$STATE_DIR/run"
t0=$SECONDS
t_phase=$SECONDS
# phase WHAT: reports the phase just finished when it took a noticeable time.
phase() { [ $((SECONDS - t_phase)) -lt 2 ] || log "  $1: $((SECONDS - t_phase)) s"; t_phase=$SECONDS; }

# running PID: alive and not a zombie (our components are orphans, and this machine's init may not reap them).
running() { [ -r "/proc/$1/stat" ] && [ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# stop NAME: SIGTERM, then SIGKILL after 2 s (all state is deleted next: a graceful drain buys nothing).
stop() {
  local pidfile="$RUN/$1.pid" pid t=$SECONDS
  [ -s "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if running "$pid"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 20); do running "$pid" || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
  [ $((SECONDS - t)) -lt 3 ] || log "  $1 took $((SECONDS - t)) s to stop"
}

# Node side first, so nothing restarts the containers we are about to kill.
stop kube-proxy
stop kubelet
stop kube-scheduler
stop kube-controller-manager
stop kube-apiserver
stop etcd
stop containerd
phase "stopping components"

# Containers outlive containerd (their shims are detached): kill the shims of our containerd and
# every process left under our cgroup parent (the kubelet's cgroupRoot), and nothing else.
pkill -9 -f "containerd-shim-runc-v2 .*-address $RUN/containerd/containerd.sock" 2>/dev/null || true
shopt -s globstar nullglob
for tasks in /sys/fs/cgroup/*/"$CGROUP_PARENT"/**/tasks; do xargs -r kill -9 < "$tasks" 2>/dev/null || true; done

phase "killing containers"

# Mounts: container rootfs, pod volumes, network namespaces; deepest first.
for _ in 1 2 3; do
  mounts=$(awk -v s="$STATE_DIR" -v r="/run/netns/cni-" '
      index($2, s) == 1 || index($2, r) == 1 {print $2}' /proc/self/mounts | sort -r)
  [ -z "$mounts" ] && break
  for m in $mounts; do umount -l "$m" 2>/dev/null || true; done
done
rm -f /run/netns/cni-* 2>/dev/null || true
phase "unmounting"

# Our cgroup parent and what the kubelet made under it (empty now), deepest first.
for dir in $(cgroup_dirs); do
  for _ in 1 2 3; do
    find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null || true
    [ -d "$dir" ] || break
    sleep 0.2   # a killed task leaves its cgroup a moment after SIGKILL
  done
done

phase "removing cgroups"

# Network: the bridge (its veths go with the pods' namespaces), kube-proxy's and CNI's chains.
ip link del "$BRIDGE" 2>/dev/null || true
for veth in $(ip -o link show type veth 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
  [ "$(cat "/sys/class/net/$veth/master/uevent" 2>/dev/null | sed -n 's/^INTERFACE=//p')" = "$BRIDGE" ] &&
    ip link del "$veth" 2>/dev/null || true
done
# Only the chains kube-proxy, the kubelet and portmap made for this cluster (by name, and absent
# before it booted: lib.sh own_chains), with the rules in them and the jumps to them; each table is
# rewritten atomically. Other chains, KUBE- or not, are left as they are.
for save in iptables-save ip6tables-save; do
  restore=${save/save/restore}
  command -v "$save" >/dev/null || continue
  own=$(own_chains "$save")
  [ -n "$own" ] || continue
  rules=$("$save" 2>/dev/null) || continue
  OWN=$own awk '
    BEGIN { n = split(ENVIRON["OWN"], a, "\n"); for (i = 1; i <= n; i++) { split(a[i], p, " "); mine[p[1] " " p[2]] = 1 } }
    /^\*/ { table = substr($1, 2) }
    /^:/ { if ((table " " substr($1, 2)) in mine) next }
    /^-A / {
      if ((table " " $2) in mine) next
      for (i = 3; i < NF; i++) if (($i == "-j" || $i == "-g") && ((table " " $(i + 1)) in mine)) next
    }
    { print }' <<<"$rules" | "$restore"
done

phase "removing network"
rm -rf "$STATE_DIR"
rm -rf "${AGENT_SOCKET_DIRS[@]}"
rmdir /run/spire 2>/dev/null || true   # only if nothing else lives there
phase "removing state"
log "cluster down in $((SECONDS - t0)) s"
