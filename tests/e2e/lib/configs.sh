# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The sluiced configs that the e2e tests and the benches both write, in one place: an L7 reverse
# proxy in front of one server, and an L4-only config with its VIPs.
# Sourced (never run) by tests/e2e/lib/l7_lib.sh and l4_lib.sh (so every lib and test after them)
# and by bench/lib_l7.sh (so bench/l7.sh and bench/cache.sh) and bench/l4.sh: the benches measure
# the configs the tests check. It needs nothing else sourced and sets no variable: every address
# and path is an argument.

# sl_config_l7_proxy FILE ADMIN LISTEN SERVER [OPTION...]: writes FILE, a config with one reverse
# listener on LISTEN (ADDR:PORT) that sends every path to one upstream whose one server is SERVER
# (ADDR:PORT), and the admin API on ADMIN (unix:PATH or ADDR:PORT). OPTIONs, each NAME=VALUE:
#   workers=N              io_uring workers (default 1)
#   name=NAME              the listener's name (default pub)
#   upstream=NAME          the upstream's name (default app)
#   upstream_keys=YAML     keys of the upstream before its servers, e.g. "keepalive: 64, retries: 0"
#   listener_key=YAML      one more key of the listener (repeatable, kept in order), e.g. "cache: main"
#   l7_key=YAML            one more key under l7: after the upstreams (repeatable), e.g. "caches: [ ... ]"
# Returns 0, or 1 (and says why on stderr) for an unknown OPTION.
sl_config_l7_proxy() {
	local file=$1 admin=$2 listen=$3 server=$4 opt
	local workers=1 name=pub upstream=app ukeys= lkeys= l7keys=
	shift 4
	for opt; do
		case $opt in
		workers=*)       workers=${opt#*=} ;;
		name=*)          name=${opt#*=} ;;
		upstream=*)      upstream=${opt#*=} ;;
		upstream_keys=*) ukeys="${opt#*=}, " ;;
		listener_key=*)  lkeys+="      ${opt#*=}"$'\n' ;;
		l7_key=*)        l7keys+="  ${opt#*=}"$'\n' ;;
		*) echo "sl_config_l7_proxy: unknown option '$opt'" >&2; return 1 ;;
		esac
	done
	{
		sl_config_l7_head "$admin" "$listen" "$workers" "$name"
		cat <<EOC
${lkeys}      routes: [ { match: { path_prefix: / }, upstream: $upstream } ]
  upstreams:
    - { name: $upstream, ${ukeys}servers: [ { address: $server } ] }
EOC
		printf '%s' "$l7keys"
	} >"$file"
}

# sl_config_l7_head ADMIN LISTEN WORKERS NAME: prints the head of a config whose first listener is a
# reverse one: WORKERS, the admin API on ADMIN, then the listener NAME on LISTEN up to its mode. What
# follows is the caller's: the listener's other keys (6 spaces in), more listeners, the upstreams.
sl_config_l7_head() {
	cat <<EOC
workers: $3
admin: { listen: "$1" }
l7:
  listeners:
    - name: $4
      listen: $2
      mode: reverse
EOC
}

# sl_config_l4 FILE ADMIN INTERFACES FORWARDING [KEY...]: writes FILE, the head of an L4-only config
# (one worker, XDP in native mode on INTERFACES, a comma list, FORWARDING ipip or dsr) ending in
# "vips:", for sl_config_l4_vip to append to. Each KEY ("detach_on_exit: true") is one more key of l4:.
sl_config_l4() {
	local file=$1 admin=$2 ifs=$3 fwd=$4 key
	shift 4
	{
		printf 'workers: 1\nadmin:\n  listen: %s\nl4:\n' "$admin"
		printf '  interfaces: [%s]\n  xdp_mode: native\n  forwarding: %s\n' "$ifs" "$fwd"
		for key; do printf '  %s\n' "$key"; done
		printf '  vips:\n'
	} >"$file"
}

# sl_config_l4_vip FILE NAME ADDRESS PORT HEALTH BACKEND:WEIGHT...: appends to FILE one TCP VIP on
# ADDRESS:PORT (IPv4 or IPv6) with its backends (ADDRESS:WEIGHT, the weight after the last colon);
# HEALTH is the VIP's health check as a flow mapping ("{ type: tcp, port: 80, ... }") or "" for none.
sl_config_l4_vip() {
	local file=$1 name=$2 vip=$3 port=$4 health=$5 b
	shift 5
	{
		printf '    - name: %s\n      address: %s\n      port: %s\n      protocol: tcp\n' "$name" "$vip" "$port"
		[ -n "$health" ] && printf '      health: %s\n' "$health"
		printf '      backends:\n'
		for b; do printf '        - { address: %s, weight: %s }\n' "${b%:*}" "${b##*:}"; done
	} >>"$file"
}
