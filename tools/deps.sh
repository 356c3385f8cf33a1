#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Installs the Debian packages Sluice needs to build, test and demo. Idempotent:
# when everything is already there it returns at once without touching apt.
# BENCH=1 adds the peers the benchmarks compare against.
set -euo pipefail

pkgs=(
	make gcc clang llvm libc6-dev linux-libc-dev pkg-config
	libbpf-dev libxdp-dev bpftool liburing-dev libyaml-dev libelf-dev zlib1g-dev libc-ares-dev libcrypt-dev libssl-dev libnghttp2-dev
	node-llhttp
	iproute2 ethtool procps psmisc curl perl python3 util-linux openssl nghttp2-client
)
if [ "${BENCH:-0}" = 1 ]; then
	pkgs+=(nginx-light haproxy nftables wrk gnuplot-nox squid tinyproxy)
fi

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root (or: sudo $0)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
