#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# The cache under HTTP/2: hits over h2c and h2 (TLS), entries shared with HTTP/1.1 both ways, concurrent
# misses on one connection collapsed into one origin request, HEAD and Range hits, Cache-Status, the
# access log's cache and protocol fields.
. "$(dirname "$0")/../lib/h2_lib.sh"
. "$(dirname "$0")/../lib/cache_lib.sh"
h2_setup || exit 1
cache_origin || exit 1
S=$(free_port)
h2_proxy_start <<EOC || exit 1
      http2: true
      cache: main
      access_log: { path: $SL_TMP/access.json, format: json }
      routes: [ { match: { path_prefix: / }, upstream: origin } ]
    - name: tls
      listen: 127.0.0.1:$S
      mode: reverse
      cache: main
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
      routes: [ { match: { path_prefix: / }, upstream: origin } ]
  upstreams:
    - { name: origin, retries: 0, max_fails: 1000, servers: [ { address: 127.0.0.1:$OR_PORT } ] }
  caches: [ { name: main, memory: 16MiB, max_object_bytes: 1MiB } ]
EOC
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$S"
h2_need "$P"
# h2get URL-PATH [CURL-ARG...]: GET over h2c; headers in $SL_TMP/h, body in $SL_TMP/b; prints "STATUS VERSION"
h2get() {
	local u=$1
	shift
	h2c_curl "$P" -D "$SL_TMP/h" -o "$SL_TMP/b" -w '%{http_code} %{http_version}' "$@" "$u"
}

U='/c/h2?cc=max-age%3D60'
out1=$(h2get "$U"); cs1=$(hdr "$SL_TMP/h" cache-status)
out2=$(h2get "$U"); cs2=$(hdr "$SL_TMP/h" cache-status)
[ "$out1" = "200 2" ] && [ "$out2" = "200 2" ] && [ "$(cat "$SL_TMP/b")" = "v1 /c/h2" ] && [ "$(origin_count "$U")" = 1 ]
ok $? "h2c: the second GET served from the cache ($out1, $out2, origin asked $(origin_count "$U") time)"
[ "$cs1" = "sluice; fwd=miss; stored" ] && [[ $cs2 == "sluice; hit; ttl="* ]]
ok $? "Cache-Status over h2: '$cs1' then '$cs2'"
a=$(hdr "$SL_TMP/h" age); [ -n "$a" ]; ok $? "a hit over h2 carries Age ($a)"

# one cache for both protocols and both listeners
U2='/c/h1first?cc=max-age%3D60'
curl -s -m 5 --http1.1 -o /dev/null "http://127.0.0.1:$P$U2"
out=$(h2get "$U2"); cs=$(hdr "$SL_TMP/h" cache-status)
[ "$out" = "200 2" ] && [[ $cs == "sluice; hit"* ]] && [ "$(origin_count "$U2")" = 1 ]
ok $? "stored by an HTTP/1.1 request, hit by an h2 one ($out, $cs)"
U3='/c/h2first?cc=max-age%3D60'
h2get "$U3" >/dev/null
cs=$(curl -s -m 5 --http1.1 -D - -o /dev/null "http://127.0.0.1:$P$U3" | tr -d '\r' | sed -n 's/^[Cc]ache-[Ss]tatus: //p')
[[ $cs == "sluice; hit"* ]] && [ "$(origin_count "$U3")" = 1 ]; ok $? "stored by h2, hit by HTTP/1.1 ($cs)"
U6='/c/tls?cc=max-age%3D60'
h2s_curl "$S" -o /dev/null "$U6"
cs=$(h2s_curl "$S" -D - -o /dev/null "$U6" | tr -d '\r' | sed -n 's/^cache-status: //p')
[[ $cs == "sluice; hit"* ]] && [ "$(origin_count "$U6")" = 1 ]; ok $? "a hit over h2 on the TLS listener too ($cs)"

# concurrent misses of one key on one h2 connection: one origin request
U4='/c/collapse?cc=max-age%3D60&delay=300'
line=$(h2_client --port "$P" get -n 20 --path "$U4")
[ "$(h2_field "$line" status)" = "200*20" ] && [ "$(origin_count "$U4")" = 1 ]
ok $? "20 streams missing one key at once: all 200, one origin request ($line; origin $(origin_count "$U4"))"

# a larger object, HEAD and Range from it
U5='/c/big?cc=max-age%3D60&size=500000'
h2get "$U5" >/dev/null
sha1=$(h2_sha "$SL_TMP/b")
out=$(h2get "$U5"); cs=$(hdr "$SL_TMP/h" cache-status)
[ "$out" = "200 2" ] && [[ $cs == "sluice; hit"* ]] && [ "$(h2_sha "$SL_TMP/b")" = "$sha1" ] && [ "$(stat -c %s "$SL_TMP/b")" = 500000 ]
ok $? "a 500000-byte hit over h2, the same bytes as the miss ($out, $cs)"
out=$(h2get "$U5" -I)
[ "$out" = "200 2" ] && [ "$(hdr "$SL_TMP/h" content-length)" = 500000 ] && [ "$(origin_count "$U5")" = 1 ]
ok $? "HEAD over h2 answered from the stored GET ($out, content-length $(hdr "$SL_TMP/h" content-length))"
out=$(h2get "$U5" -H 'Range: bytes=100-199')
[ "$out" = "206 2" ] && [ "$(stat -c %s "$SL_TMP/b")" = 100 ] && [ "$(hdr "$SL_TMP/h" content-range)" = "bytes 100-199/500000" ]
ok $? "Range over h2 from the stored object: 206, 100 bytes ($out, $(hdr "$SL_TMP/h" content-range))"
[ "$(origin_count "$U5")" = 1 ]; ok $? "the origin was asked once for it ($(origin_count "$U5"))"

# the access log
wait_for 3 grep -q '"uri":"/c/h2?cc=max-age%3D60","protocol":"HTTP/2.0".*"cache":"HIT"' "$SL_TMP/access.json"
ok $? "access log: the h2 hit logged with protocol HTTP/2.0 and cache HIT"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
