#!/usr/bin/env bash
# Verifies that no trace of the local cluster is left on this machine: processes, mounts, network
# links and namespaces, iptables chains, cgroups, state. Exits 1 listing whatever remains.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

left=()
# Our components and our containerd's shims (their -address is under the state directory);
# another containerd's shims (Docker's) are not ours.
procs=$(pgrep -af "$STATE_DIR|$KUBE_BIN" | grep -v pgrep || true)
[ -z "$procs" ] || left+=("processes:\n$procs")
mounts=$(grep -E "$STATE_DIR|/run/netns/cni-" /proc/self/mounts || true)
[ -z "$mounts" ] || left+=("mounts:\n$mounts")
ip link show "$BRIDGE" >/dev/null 2>&1 && left+=("network link $BRIDGE")
netns=$(ls /run/netns 2>/dev/null | grep '^cni-' || true)
[ -z "$netns" ] || left+=("network namespaces: $netns")
for save in iptables-save ip6tables-save; do
  chains=$(own_chains "$save")
  [ -z "$chains" ] || left+=("$save chains:\n$chains")
done
cgroups=$(cgroup_dirs)
[ -z "$cgroups" ] || left+=("cgroups: $cgroups")
[ -e "$STATE_DIR" ] && left+=("state directory $STATE_DIR")
for d in "${AGENT_SOCKET_DIRS[@]}"; do [ -e "$d" ] && left+=("agent socket directory $d"); done

if [ ${#left[@]} -gt 0 ]; then
  printf 'local-cluster: left behind after cluster:down:\n' >&2
  printf '  %b\n' "${left[@]}" >&2
  exit 1
fi
log "nothing left behind: no processes, mounts, links, netns, iptables chains, cgroups, agent socket dirs or state"
