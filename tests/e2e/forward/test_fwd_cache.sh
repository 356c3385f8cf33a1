#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Forward proxy caching: a cacheable plain-HTTP response is served a second time from the shared cache, after the rules.
. "$(dirname "$0")/../lib/lib.sh"
. "$(dirname "$0")/../lib/l7_lib.sh"
. "$(dirname "$0")/../lib/fwd_lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"

fwd_origin || exit 1
O=$ORIGIN_PORT
P=$(free_port)
FWD_CACHE=main fwd_config "$SL_TMP/c.yaml" "$P" "    allow_private_destinations: true
    allow_hosts: [127.0.0.1, localhost]"
fwd_sluiced "$SL_TMP/c.yaml" "$P" || exit 1
X="-s -m 5 -x http://127.0.0.1:$P -D $SL_TMP/h"
hdr() { tr -d '\r' <"$1" | awk -F': ' -v k="$2" 'tolower($1) == k {print $2}'; }
origin_hits() { grep -c "\"line\": \"GET $1 " "$SL_TMP/origin.log"; }

b1=$(curl $X "http://127.0.0.1:$O/cache/1"); cs1=$(hdr "$SL_TMP/h" cache-status)
b2=$(curl $X "http://127.0.0.1:$O/cache/1"); cs2=$(hdr "$SL_TMP/h" cache-status)
[ "$b1" = "cacheable 1" ] && [ "$b2" = "cacheable 1" ]; ok $? "both answers carry the body ($b2)"
[ "$(origin_hits /cache/1)" = 1 ]; ok $? "the second request did not reach the origin ($(origin_hits /cache/1) origin requests)"
[[ "$cs2" == "sluice; hit"* ]]; ok $? "Cache-Status on the second answer: $cs2 (first: $cs1)"
logged "\"GET http://127.0.0.1:$O/cache/1 HTTP/1.1\" 200 .*cache=HIT rule=allow_hosts:127.0.0.1"; ok $? "access log: cache=HIT with the rule"

# the key is the target's authority: another host name is another entry
curl $X -H "Host: 127.0.0.1:$O" "http://localhost:$O/cache/1" >/dev/null
[ "$(origin_hits /cache/1)" = 2 ]; ok $? "http://localhost:... is cached apart from http://127.0.0.1:..., whatever Host says"

# rules come before the cache: a host no longer allowed is refused, not served from it
sed -i 's/allow_hosts: \[127.0.0.1, localhost\]/allow_hosts: [localhost]/' "$SL_TMP/c.yaml"
fwd_reload
code=$(curl $X -o /dev/null -w '%{http_code}' "http://127.0.0.1:$O/cache/1")
[ "$code" = 403 ]; ok $? "a cached URL on a host now refused: 403 ($code)"
# not cacheable: no Cache-Control, every request goes to the origin
curl $X "http://localhost:$O/plain" >/dev/null; curl $X "http://localhost:$O/plain" >/dev/null
[ "$(origin_hits /plain)" = 2 ]; ok $? "a response without freshness is not served from the cache"
done_testing
