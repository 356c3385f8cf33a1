#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# HTTP/2 to HTTP/1.1 and back: what the upstream reads for a stream (Host from :authority, cookie crumbs
# joined, the path and query, a body without content-length framed), malformed requests refused and never
# forwarded (connection-specific fields, upper-case names, a missing pseudo-header), te: trailers allowed,
# and no hop-by-hop field of the upstream's response in the h2 response.
. "$(dirname "$0")/../lib/h2_lib.sh"
h2_setup || exit 1
l7_upstream a || exit 1
h2_pair_start || exit 1
H=$SL_TMP/head   # what the upstream read (its /headers answer), CRs removed
# seen ARG...: a GET of /headers... by the raw client with ARGs; the upstream's view of it in $H,
# the client's line in $line
seen() {
	rm -f "$SL_TMP/body"
	line=$(h2_client --port "$P" get --body-out "$SL_TMP/body" "$@")
	{ tr -d '\r' <"$SL_TMP/body"; } 2>/dev/null >"$H"
}

# request fields
seen --path '/headers/x?q=1&r=%20' --authority h2.example.test -H 'cookie: a=1' -H 'cookie: b=2' -H 'x-one: 1'
[ "$(h2_field "$line" status)" = "200*1" ]; ok $? "GET /headers over h2c: 200 ($line)"
[ "$(head -1 "$H")" = "GET /headers/x?q=1&r=%20 HTTP/1.1" ]; ok $? "upstream request line: method, path and query kept ($(head -1 "$H"))"
grep -qix 'host: h2.example.test' "$H" && [ "$(grep -ic '^host:' "$H")" = 1 ]
ok $? ":authority became one Host field ($(grep -i '^host:' "$H" | tr '\n' ' '))"
grep -qix 'cookie: a=1; b=2' "$H" && [ "$(grep -ic '^cookie:' "$H")" = 1 ]
ok $? "two cookie crumbs joined into one Cookie field, '; ' between them ($(grep -i '^cookie:' "$H" | tr '\n' ' '))"
grep -qix 'x-one: 1' "$H"; ok $? "other fields passed on"
! grep -q '^:' "$H"; ok $? "no pseudo-header reaches the upstream as a field"
grep -qix 'x-forwarded-proto: http' "$H"; ok $? "X-Forwarded-Proto: http on h2c"
seen --path /headers/z -H 'cookie: c=3' -H 'x-after: 1'
grep -qix 'cookie: c=3' "$H" && grep -qix 'x-after: 1' "$H"
ok $? "one cookie field, then another field: both upstream ($line)"
seen --path /headers/y --authority h2.example.test -H 'host: other.example.test'
h=$(grep -i '^host:' "$H" | tr '\n' ' ')
[ "$(h2_field "$line" status)" = "200*1" ] && [ "$h" = "Host: h2.example.test " ]
ok $? ":authority and a host field beside it: Host from :authority, the host field dropped (RFC 9113 8.3.1) ($h)"
body=$(h2s_curl "$S" -H 'Cookie: c=3' /headers/tls | tr -d '\r')
grep -qix 'x-forwarded-proto: https' <<<"$body" && grep -qix 'host: www.example.test:'"$S" <<<"$body"
ok $? "over TLS: X-Forwarded-Proto: https, Host from :authority ($(grep -i '^host:' <<<"$body"))"

# a body without content-length reaches the upstream framed (content-length once gathered, or chunked)
printf 'hello h2' >"$SL_TMP/b8"
seen --method POST --path /headers/post --body-file "$SL_TMP/b8" --no-content-length
grep -qix 'content-length: 8' "$H" || grep -qix 'transfer-encoding: chunked' "$H"
ok $? "POST without content-length: framed upstream ($(grep -iE '^(content-length|transfer-encoding):' "$H"))"
grep -q 'BODY:hello h2$' "$H"; ok $? "... and its body arrived ($(tail -1 "$H"))"

# malformed requests: refused (RST_STREAM PROTOCOL_ERROR, or 400), never forwarded
r0=$(up_stats "$UP_PORT" requests)
refused() { [[ $(h2_field "$1" rst) == 0x1\** || $(h2_field "$1" status) == 400\** ]]; }
line=$(h2_client --port "$P" bad-header --path /headers/bad)
refused "$line"; ok $? "connection: keep-alive in a request: refused ($line)"
for f in "transfer-encoding: chunked" "upgrade: h2c" "keep-alive: 300" "proxy-connection: keep-alive" "te: gzip" "X-Upper: 1"; do
	line=$(h2_client --port "$P" get --path /headers/bad -H "$f")
	refused "$line"; ok $? "'$f' in a request: refused ($line)"
done
for p in :path :method :scheme; do
	line=$(h2_client --port "$P" get --path /headers/bad --omit "$p")
	refused "$line"; ok $? "a request without $p: refused ($line)"
done
r1=$(up_stats "$UP_PORT" requests)
[ $((r1 - r0)) = 1 ]; ok $? "none of the malformed requests reached the upstream ($((r1 - r0 - 1)) did)"
# A block of about 146 bytes: in 40-byte fragments, HEADERS and 3 CONTINUATIONs; in 20-byte ones, 7
# CONTINUATIONs, still within max_continuations (8 by default, nghttp2's own limit too).
for n in 40 20; do
	line=$(h2_client --port "$P" get -n 2 --path /headers/split --split $n -H "x-long: $(printf '%060d' 0)")
	[ "$(h2_field "$line" status)" = "200*2" ]
	ok $? "header blocks cut in $n-byte HEADERS and CONTINUATION frames: 200 ($line)"
done
# headers past max_header_list_size (the listener's max_header_bytes, 16 KiB): 431, the connection kept
line=$(h2_client --port "$P" get -n 2 --path /headers/big -H "x-big: $(printf '%020000d' 0)")
[ "$(h2_field "$line" status)" = "431*2" ] && [ "$(h2_field "$line" goaway)" = none ]
ok $? "20 KB of headers: 431 on each stream, no GOAWAY ($line)"
line=$(h2_client --port "$P" get --path /headers/te -H "te: trailers")
[ "$(h2_field "$line" status)" = "200*1" ]; ok $? "te: trailers allowed ($line)"
line=$(h2_client --port "$P" get -n 3 --path /headers/after)
[ "$(h2_field "$line" status)" = "200*3" ]; ok $? "the listener serves well-formed streams after them ($line)"

# the upstream's hop-by-hop fields stay out of the h2 response
h2_client --port "$P" get --path /chunked/1000 --headers-out "$SL_TMP/rh1" >"$SL_TMP/l1"
h2_client --port "$P" get --path /close/1000 --headers-out "$SL_TMP/rh2" >"$SL_TMP/l2"
grep -q '^:status: 200$' "$SL_TMP/rh1" && grep -q '^:status: 200$' "$SL_TMP/rh2"
ok $? "chunked and close-delimited upstream responses: 200 over h2 ($(cat "$SL_TMP/l1" "$SL_TMP/l2" | cut -d' ' -f2 | tr '\n' ' '))"
! grep -qiE '^(connection|transfer-encoding|keep-alive|upgrade|proxy-connection):' "$SL_TMP/rh1" "$SL_TMP/rh2"
ok $? "no connection, transfer-encoding or keep-alive field in either h2 response ($(grep -hiE '^(connection|transfer-encoding|keep-alive):' "$SL_TMP/rh1" "$SL_TMP/rh2" | tr '\n' ' '))"
[ "$(h2_field "$(cat "$SL_TMP/l1")" data)" = 1000 ] && [ "$(h2_field "$(cat "$SL_TMP/l2")" data)" = 1000 ]
ok $? "... both bodies whole, 1000 bytes each"
grep -q '^x-upstream: a$' "$SL_TMP/rh1"; ok $? "the upstream's own fields arrive, names in lower case ($(grep -i '^x-upstream' "$SL_TMP/rh1"))"
! grep -q '[A-Z]' <(cut -d: -f1 "$SL_TMP/rh1" | grep -v '^$'); ok $? "every response field name in lower case"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
