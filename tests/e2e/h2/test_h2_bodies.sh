#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# HTTP/2 bodies: 5 MiB up and down (h2c and TLS) through flow control, compared by SHA-256; a body without
# content-length; several large responses at once on one connection; a content-length that the DATA
# frames contradict refused and never forwarded; max_body_bytes still 413.
. "$(dirname "$0")/../lib/h2_lib.sh"
h2_setup || exit 1
l7_upstream a || exit 1
h2_pair_start "max_body_bytes: 8MiB" || exit 1
M5=5242880
head -c $M5 /dev/urandom >"$SL_TMP/up5m"
head -c $M5 /dev/zero | tr '\0' x >"$SL_TMP/x5m"
head -c $((9 * 1048576)) /dev/zero >"$SL_TMP/up9m"
UP=$(h2_sha "$SL_TMP/up5m"); X=$(h2_sha "$SL_TMP/x5m")

# 5 MiB each way, curl over h2c and over TLS
out=$(h2c_curl "$P" -o "$SL_TMP/echo.out" -w '%{http_code} %{http_version}' --data-binary @"$SL_TMP/up5m" /echo)
[ "$out" = "200 2" ] && [ "$(h2_sha "$SL_TMP/echo.out")" = "$UP" ]
ok $? "h2c: 5 MiB POST echoed back whole ($out, $(stat -c %s "$SL_TMP/echo.out") bytes)"
out=$(h2c_curl "$P" -o "$SL_TMP/down.out" -w '%{http_code} %{http_version}' /size/$M5)
[ "$out" = "200 2" ] && [ "$(h2_sha "$SL_TMP/down.out")" = "$X" ]
ok $? "h2c: 5 MiB GET whole ($out, $(stat -c %s "$SL_TMP/down.out") bytes)"
out=$(h2s_curl "$S" -o "$SL_TMP/echo-tls.out" -w '%{http_code} %{http_version}' --data-binary @"$SL_TMP/up5m" /echo)
[ "$out" = "200 2" ] && [ "$(h2_sha "$SL_TMP/echo-tls.out")" = "$UP" ]
ok $? "TLS h2: 5 MiB POST echoed back whole ($out)"
out=$(h2s_curl "$S" -o "$SL_TMP/down-tls.out" -w '%{http_code} %{http_version}' /size/$M5)
[ "$out" = "200 2" ] && [ "$(h2_sha "$SL_TMP/down-tls.out")" = "$X" ]
ok $? "TLS h2: 5 MiB GET whole ($out)"
out=$(h2c_curl "$P" -o /dev/null -w '%{http_code}' /chunked/300000)
[ "$out" = 200 ]; ok $? "h2c: a chunked upstream response (300000 bytes) ends its stream ($out)"

# the raw client: its own flow control, a small window of its own, no content-length
line=$(h2_client --port "$P" get --method POST --path /echo --body-file "$SL_TMP/up5m" --initial-window 16384)
[ "$(h2_field "$line" status)" = "200*1" ] && [ "$(h2_field "$line" sha256)" = "$UP" ]
ok $? "raw client, 16 KiB stream window: 5 MiB echoed ($line)"
line=$(h2_client --port "$P" get --method POST --path /echo --body-file "$SL_TMP/up5m" --no-content-length)
[ "$(h2_field "$line" status)" = "200*1" ] && [ "$(h2_field "$line" sha256)" = "$UP" ]
ok $? "a 5 MiB body without content-length (END_STREAM ends it) echoed ($line)"
head -c 1000 "$SL_TMP/up5m" >"$SL_TMP/up1k"
line=$(h2_client --port "$P" get --method POST --path /echo --body-file "$SL_TMP/up1k" --no-content-length)
[ "$(h2_field "$line" status)" = "200*1" ] && [ "$(h2_field "$line" sha256)" = "$(h2_sha "$SL_TMP/up1k")" ]
ok $? "a small body without content-length (buffered) echoed ($line)"
line=$(h2_client --port "$P" get -n 4 --path /size/2097152)
[ "$(h2_field "$line" status)" = "200*4" ] && [ "$(h2_field "$line" data)" = 8388608 ]
ok $? "four 2 MiB responses at once on one connection ($line)"

# content-length contradicted by the DATA frames: a malformed request (RFC 9113 8.1.1), not forwarded
r0=$(up_stats "$UP_PORT" requests)
for c in "5 10 shorter" "20 10 longer"; do
	set -- $c
	line=$(h2_client --port "$P" get --method POST --path /echo-cl-$3 --body-size "$1" --content-length "$2")
	st=$(h2_field "$line" status); rst=$(h2_field "$line" rst)
	[ "$rst" = "0x1*1" ] || [ "$st" = "400*1" ]
	ok $? "content-length $2, $1 bytes of DATA: refused (RST_STREAM PROTOCOL_ERROR or 400) ($line)"
done
r1=$(up_stats "$UP_PORT" requests)
[ $((r1 - r0)) = 1 ]; ok $? "neither reached the upstream ($((r1 - r0 - 1)) did)"   # 1: the first up_stats itself
line=$(h2_client --port "$P" get --path /after-cl)
[ "$(h2_field "$line" status)" = "200*1" ]; ok $? "a new connection is served after them ($line)"

# max_body_bytes over h2
# (the raw client, not curl: curl 7.88 drops a response that a RST_STREAM NO_ERROR follows before its upload
# is done, though RFC 9113 8.1 says a server may answer early so and the client must keep the response)
line=$(h2_client --port "$P" get --method POST --path /echo --body-file "$SL_TMP/up9m")
[ "$(h2_field "$line" status)" = "413*1" ]; ok $? "a 9 MiB body over max_body_bytes 8MiB: 413 ($line)"
line=$(h2_client --port "$P" get --method POST --path /echo --body-file "$SL_TMP/up9m" --no-content-length)
st=$(h2_field "$line" status)
[ "$st" = "413*1" ] || [[ $(h2_field "$line" rst) == 0x* ]]
ok $? "the same without content-length: 413 or the stream reset ($line)"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
