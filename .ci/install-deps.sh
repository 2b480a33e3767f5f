#!/usr/bin/env bash
# Installs the Debian packages the local cluster needs (containerd, runc, CNI plugins, iptables,
# busybox for the workload image), the build tools, and Chromium for the report's browser self-test
# (Debian's package, driven by Playwright through executablePath: no browser download), and
# shellcheck, which actionlint runs on the workflow's scripts.
# Idempotent: does nothing when all are there.
set -euo pipefail
packages=(containerd runc containernetworking-plugins iptables conntrack busybox-static jq openssl curl kmod iproute2 gcc libc6-dev chromium fonts-dejavu-core shellcheck)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
