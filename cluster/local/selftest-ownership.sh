#!/usr/bin/env bash
# Self-test: the local cluster touches only what it owns. Things another cluster or tool could own,
# named the way Kubernetes names its own (a process in a `kubepods` cgroup, KUBE- iptables chains,
# a bridge), are made before `up`; after `up` and `down` they are all still there, and check-clean
# reports none of them. They are removed afterwards whatever happened.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
require_root_linux

ctl=$(for c in pids memory cpu; do [ -d "/sys/fs/cgroup/$c" ] && { echo "/sys/fs/cgroup/$c"; break; }; done)
[ -n "$ctl" ] || die "no cgroup v1 controller (pids, memory, cpu) to test with"
made_kubepods=0
[ -d "$ctl/kubepods" ] || made_kubepods=1
foreign_cg="$ctl/kubepods/selftest-foreign"
foreign_chains=(KUBE-SELFTEST-FOREIGN KUBE-SVC-SELFTEST0FOREIGN)
foreign_bridge=selftestbr0
pid=

cleanup() {
  [ -z "$pid" ] || { kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; } || true
  for _ in 1 2 3 4 5; do rmdir "$foreign_cg" 2>/dev/null && break; sleep 0.2; done
  [ "$made_kubepods" = 0 ] || rmdir "$ctl/kubepods" 2>/dev/null || true
  for c in "${foreign_chains[@]}"; do iptables -F "$c" 2>/dev/null; iptables -X "$c" 2>/dev/null; done || true
  ip link del "$foreign_bridge" 2>/dev/null || true
}
trap cleanup EXIT

mkdir -p "$foreign_cg"
sleep 600 &
pid=$!
echo "$pid" > "$foreign_cg/tasks"
for c in "${foreign_chains[@]}"; do iptables -N "$c" && iptables -A "$c" -j RETURN; done
ip link add "$foreign_bridge" type bridge

"$LOCAL_DIR/up.sh" >/dev/null
"$LOCAL_DIR/down.sh"
clean=0
"$LOCAL_DIR/check-clean.sh" || clean=1

survived=()
[ "$clean" = 0 ] || survived+=("check-clean found leftovers (above)")
kill -0 "$pid" 2>/dev/null && grep -qx "$pid" "$foreign_cg/tasks" || survived+=("the process $pid in $foreign_cg was killed or moved")
for c in "${foreign_chains[@]}"; do iptables -S "$c" 2>/dev/null | grep -q -- '-j RETURN' || survived+=("iptables chain $c (or its rule) was removed"); done
ip link show "$foreign_bridge" >/dev/null 2>&1 || survived+=("bridge $foreign_bridge was removed")
if [ ${#survived[@]} -gt 0 ]; then
  printf 'local-cluster: up/down touched what it does not own:\n' >&2
  printf '  %s\n' "${survived[@]}" >&2
  exit 1
fi
log "ownership: a process in $foreign_cg, chains ${foreign_chains[*]} and bridge $foreign_bridge survived up and down"
