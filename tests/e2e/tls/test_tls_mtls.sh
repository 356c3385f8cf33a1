#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# mTLS: client_verify required refuses a client without a certificate or with one from another CA and serves
# one signed by client_ca, its verified subject in the upstream header and the access log; optional lets
# certificate-less clients in; the header cannot be forged by a client.
. "$(dirname "$0")/../lib/tls_lib.sh"
tls_setup || exit 1
tls_make_client "$T" stranger "client1" otherca || { diag "openssl failed"; exit 1; }
l7_upstream a || exit 1
A=$UP_PORT
Q=$(free_port)
tls_proxy_start <<EOC || exit 1
      access_log: { path: $SL_TMP/access.json, format: json }
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
        client_ca: $T/clientca.pem
        client_verify: required
        client_header: X-Client-Subject
      routes: [ { match: { path_prefix: / }, upstream: app } ]
    - name: opt
      listen: 127.0.0.1:$Q
      mode: reverse
      tls:
        certificates: [ { cert: $T/ec.pem, key: $T/ec.key } ]
        client_ca: $T/clientca.pem
        client_verify: optional
        client_header: X-Client-Subject
      routes: [ { match: { path_prefix: / }, upstream: app } ]
  upstreams:
    - { name: app, servers: [ { address: 127.0.0.1:$A } ] }
EOC
wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$Q" || { diag "listener opt did not open"; exit 1; }
req0=$(up_stats "$A" requests)
cert0=$(tls_metric sluice_tls_handshake_failures_total 'reason="cert"')

# required
for v in 1.2 1.3; do
	code=$(tls_curl "$P" www.example.test "$T/ca.pem" --tls-max "$v" -o /dev/null -w '%{http_code}' /nocert)
	[ "$code" = 000 ]; ok $? "required, TLS $v: a client without a certificate gets no response ($code)"
	code=$(tls_curl "$P" www.example.test "$T/ca.pem" --tls-max "$v" --cert "$T/stranger.pem" --key "$T/stranger.key" \
		-o /dev/null -w '%{http_code}' /stranger)
	[ "$code" = 000 ]; ok $? "required, TLS $v: a certificate from another CA gets no response ($code)"
done
req1=$(up_stats "$A" requests)
[ $((req1 - req0)) = 1 ]; ok $? "none of them reached the upstream ($((req1 - req0 - 1)) requests)"
wait_for 3 tls_metric_ge "$((cert0 + 4))" sluice_tls_handshake_failures_total 'reason="cert"'
ok $? "counted as failures{reason=\"cert\"} ($cert0 -> $(tls_metric sluice_tls_handshake_failures_total 'reason="cert"'))"
tls_sclient "$P" www.example.test >"$SL_TMP/req.out"
grep -q "Acceptable client certificate CA names" "$SL_TMP/req.out" && grep -q "CN = Sluice Test clientca" "$SL_TMP/req.out"
ok $? "the server asks for a client certificate naming client_ca"

for v in 1.2 1.3; do
	tls_curl "$P" www.example.test "$T/ca.pem" --tls-max "$v" --cert "$T/client.pem" --key "$T/client.key" \
		-H "X-Client-Subject: CN=admin" /headers >"$SL_TMP/h$v"
	head -1 "$SL_TMP/h$v" | grep -q "^GET /headers"; ok $? "required, TLS $v: a certificate signed by client_ca is served"
	subj=$(tr -d '\r' <"$SL_TMP/h$v" | sed -n 's/^X-Client-Subject: //Ip')
	[[ $subj = *CN=client1* && $subj = *"O=Sluice Test"* && $subj != *admin* && $(wc -l <<<"$subj") = 1 ]]
	ok $? "TLS $v: upstream sees the verified subject, once, not the client's forged header ($subj)"
done

# a resumed session keeps its client certificate: curl's second connection resumes the first's session
curl -s -m 5 --http1.1 --cacert "$T/ca.pem" --resolve "www.example.test:$P:127.0.0.1" --cert "$T/client.pem" --key "$T/client.key" \
	-H "Connection: close" "https://www.example.test:$P/resume1" "https://www.example.test:$P/resume2" >/dev/null
wait_for 3 grep -q '"/resume2' "$SL_TMP/access.json"
python3 - "$SL_TMP/access.json" >"$SL_TMP/res" <<'EOP'
import json, sys
by = {j["uri"]: j for j in map(json.loads, open(sys.argv[1]))}
r = by.get("/resume2", {})
print(r.get("tls_resumed"), r.get("tls_client_subject"))
EOP
res=$(cat "$SL_TMP/res")
[[ $res = "True "*CN=client1* ]]; ok $? "a resumed session keeps its verified subject ($res)"

# optional
tls_curl "$Q" www.example.test "$T/ca.pem" -H "X-Client-Subject: CN=admin" /headers >"$SL_TMP/hopt"
head -1 "$SL_TMP/hopt" | grep -q "^GET /headers"; ok $? "optional: a client without a certificate is served"
grep -qi "^X-Client-Subject" "$SL_TMP/hopt"; [ $? -ne 0 ]; ok $? "optional, no certificate: no X-Client-Subject upstream (the forged one removed)"
tls_curl "$Q" www.example.test "$T/ca.pem" --cert "$T/client.pem" --key "$T/client.key" /headers >"$SL_TMP/hopt2"
tr -d '\r' <"$SL_TMP/hopt2" | grep -qi "^X-Client-Subject: .*CN=client1"; ok $? "optional, with a certificate: its subject upstream"
code=$(tls_curl "$Q" www.example.test "$T/ca.pem" --cert "$T/stranger.pem" --key "$T/stranger.key" -o /dev/null -w '%{http_code}' /x)
[ "$code" = 000 ]; ok $? "optional: a certificate that does not verify is still refused ($code)"

# access log
wait_for 3 bash -c "[ \$(grep -c '\"/headers' '$SL_TMP/access.json') -ge 2 ]"
python3 - "$SL_TMP/access.json" >"$SL_TMP/chk" <<'EOP'
import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
h = [l for l in ls if l.get("uri") == "/headers"]
print("n", len(h))
print("subj", all("CN=client1" in str(l.get("tls_client_subject")) for l in h) and len(h) == 2)
print("#", [l.get("tls_client_subject") for l in h])
EOP
sed -n 's/^# /# /p' "$SL_TMP/chk"
grep -q "subj True" "$SL_TMP/chk"; ok $? "access log: tls_client_subject on both mTLS /headers requests"
kill -0 "$SLUICED_PID"; ok $? "sluiced still running"
done_testing
