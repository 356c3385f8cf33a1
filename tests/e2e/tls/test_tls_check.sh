#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# `sluiced -t` on TLS configs: a missing or non-PEM certificate, a key that does not match, an expired
# certificate (a warning), a route host no certificate serves, unreadable CAs, bad ciphers: each reported
# as file:line of its item; a good config passes; sluiced itself refuses to start on a bad one.
. "$(dirname "$0")/../lib/tls_lib.sh"
tls_setup || exit 1
printf 'not a certificate\n' >"$T/garbage.pem"
cp "$T/expired.pem" "$T/old.pem" && cp "$T/expired.key" "$T/old.key"   # file names without the word the warning must say
EC="{ cert: $T/ec.pem, key: $T/ec.key }"
RSA="{ cert: $T/rsa.pem, key: $T/rsa.key }"
APP="- { match: { path_prefix: / }, upstream: app }"

# conf NAME CERT_ITEM... -- TLS_KEY... -- ROUTE... -- [UPSTREAM_KEYS]: writes $SL_TMP/NAME.yaml, one TLS
# listener with those certificates items, other keys of its tls:, routes, and upstream app (UPSTREAM_KEYS,
# e.g. "tls: { ca: X }", go into its flow mapping). Each item on a line of its own, so its line is known.
conf() {
	local f=$SL_TMP/$1.yaml part=0 x
	shift
	{
		printf 'workers: 1\nadmin: { listen: "unix:%s/admin.sock" }\nl7:\n  listeners:\n' "$SL_TMP"
		printf '    - name: web\n      listen: 127.0.0.1:%s\n      mode: reverse\n      tls:\n        certificates:\n' "$(free_port)"
		for x; do
			if [ "$x" = -- ]; then
				part=$((part + 1))
				[ $part = 2 ] && printf '      routes:\n'
				continue
			fi
			case $part in
			0) printf '          - %s\n' "$x" ;;
			1) printf '        %s\n' "$x" ;;
			2) printf '        %s\n' "$x" ;;
			3) upk="$x, " ;;
			esac
		done
		printf '  upstreams:\n    - { name: app, %sservers: [ { address: 127.0.0.1:9 } ] }\n' "${upk:-}"
	} >"$f"
	upk=
}
# line NAME TEXT: the number of the first line of $SL_TMP/NAME.yaml holding TEXT (fixed string)
line() { grep -nF -- "$2" "$SL_TMP/$1.yaml" | head -1 | cut -d: -f1; }
# tcheck NAME: runs `sluiced -t -c` on it; exit status in $rc, its output in $SL_TMP/NAME.out
tcheck() {
	timeout 10 "$SL_BUILD/sluiced" -t -c "$SL_TMP/$1.yaml" >"$SL_TMP/$1.out" 2>&1
	rc=$?
	sed "s|^|# $1: |" "$SL_TMP/$1.out"
}
# says NAME LINE WORD...: a line of NAME's output starts "FILE:LINE:" and what follows holds every WORD (any case)
says() {
	local n=$1 at="$SL_TMP/$1.yaml:$2:" w l hit
	shift 2
	while IFS= read -r l; do
		[[ $l = *"$at"* ]] || continue
		l=${l#*"$at"} hit=1
		for w; do [[ ${l,,} = *"${w,,}"* ]] || hit=0; done
		[ $hit = 1 ] && return 0
	done <"$SL_TMP/$n.out"
	return 1
}

conf good "$EC" "$RSA" -- "alpn: [http/1.1]" -- \
	"- { match: { host: www.example.test }, upstream: app }" \
	"- { match: { host: x.api.example.test }, upstream: app }" "$APP"
tcheck good
[ $rc = 0 ] && grep -q "configuration is valid" "$SL_TMP/good.out"; ok $? "good TLS config: valid (exit $rc)"
[ "$(grep -c "good.yaml:[0-9]" "$SL_TMP/good.out")" = 0 ]; ok $? "good TLS config: no complaint (wildcard route host served)"

conf missing "$EC" "{ cert: $T/missing.pem, key: $T/rsa.key }" -- -- "$APP"
tcheck missing
[ $rc = 1 ] && says missing "$(line missing missing.pem)" missing.pem; ok $? "certificate file missing: error at its item, file named (exit $rc)"

conf garbage "$EC" "{ cert: $T/garbage.pem, key: $T/rsa.key }" -- -- "$APP"
tcheck garbage
[ $rc = 1 ] && says garbage "$(line garbage garbage.pem)" garbage.pem; ok $? "certificate file without a PEM certificate: error at its item (exit $rc)"

conf nokey "$EC" "{ cert: $T/rsa.pem, key: $T/nokey.key }" -- -- "$APP"
tcheck nokey
[ $rc = 1 ] && says nokey "$(line nokey nokey.key)" nokey.key; ok $? "key file missing: error at its item, file named (exit $rc)"

conf wrongkey "$EC" "{ cert: $T/rsa.pem, key: $T/ec.key }" -- -- "$APP"
tcheck wrongkey
[ $rc = 1 ] && says wrongkey "$(line wrongkey "rsa.pem, key: $T/ec.key")" match; ok $? "key not matching its certificate: error at its item (exit $rc)"

conf expired "$EC" "{ cert: $T/old.pem, key: $T/old.key }" -- -- "$APP"
tcheck expired
[ $rc = 0 ] && says expired "$(line expired old.pem)" old.pem expire; ok $? "expired certificate: a warning at its item, exit 0 ($rc)"

conf unserved "$EC" "$RSA" -- -- "- { match: { host: other.example.test }, upstream: app }" "$APP"
tcheck unserved
says unserved "$(line unserved other.example.test)" other.example.test; ok $? "route host served by no certificate: reported at the route (exit $rc)"
conf twolabels "$EC" "$RSA" -- -- "- { match: { host: a.b.api.example.test }, upstream: app }" "$APP"
tcheck twolabels
says twolabels "$(line twolabels a.b.api.example.test)" a.b.api.example.test
ok $? "a wildcard covers one label only: a.b.api.example.test reported (exit $rc)"

conf clientca "$EC" -- "client_ca: $T/nothere.pem" "client_verify: required" -- "$APP"
tcheck clientca
tl=$(line clientca "tls:"); cl=$(line clientca nothere.pem)
[ $rc = 1 ] && { says clientca "$cl" nothere.pem || says clientca "$tl" nothere.pem; }
ok $? "client_ca missing: error at the listener's tls, file named (exit $rc)"

conf ciphers "$EC" -- 'ciphers: "NO-SUCH-CIPHER"' -- "$APP"
tcheck ciphers
tl=$(line ciphers "tls:"); cl=$(line ciphers NO-SUCH-CIPHER)
[ $rc = 1 ] && { says ciphers "$cl" NO-SUCH-CIPHER || says ciphers "$tl" NO-SUCH-CIPHER; }
ok $? "a cipher list OpenSSL refuses: error at the listener's tls (exit $rc)"

conf upca "$EC" -- -- "$APP" -- "tls: { ca: $T/noca.pem, server_name: up.example.test }"
tcheck upca
[ $rc = 1 ] && says upca "$(line upca noca.pem)" noca.pem; ok $? "upstream tls.ca missing: error at the upstream (exit $rc)"

# sluiced itself does not start on a config -t refuses, and says why the same way.
timeout 10 "$SL_BUILD/sluiced" -c "$SL_TMP/wrongkey.yaml" >"$SL_TMP/run.out" 2>&1
rc=$?
sed 's/^/# run: /' "$SL_TMP/run.out" | head -5
[ $rc != 0 ] && [ $rc != 124 ] && grep -qF "wrongkey.yaml:$(line wrongkey "rsa.pem, key: $T/ec.key"):" "$SL_TMP/run.out"
ok $? "sluiced -c with the mismatched key exits ($rc) with the same file:line"
done_testing
