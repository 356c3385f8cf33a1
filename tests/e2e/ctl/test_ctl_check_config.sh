#!/usr/bin/env bash
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# sluiced -t: exit 0 for a valid config, 1 with "file:line: message" errors for an invalid one; -h and -V work.
. "$(dirname "$0")/../lib/lib.sh"
[ -x "$SL_BUILD/sluiced" ] || skip_all "build/sluiced not built"
D=$SL_BUILD/sluiced

cat >"$SL_TMP/good.yaml" <<'YAML'
admin:
  listen: 127.0.0.1:9900
l4:
  interfaces: [eth0]
  vips:
    - name: web
      address: 198.18.10.1
      port: 80
      protocol: tcp
      backends:
        - { address: 198.18.20.1, weight: 100 }
      health: { type: tcp, port: 80, interval: 1s, timeout: 500ms, rise: 2, fall: 3 }
YAML
"$D" -t -c "$SL_TMP/good.yaml" >"$SL_TMP/out" 2>&1
ok $? "valid config: exit 0"
grep -qi "valid" "$SL_TMP/out"
ok $? "and says so: $(cat "$SL_TMP/out")"

cat >"$SL_TMP/bad.yaml" <<'YAML'
admin:
  listen: 127.0.0.1:9900
l4:
  interfaces: [eth0]
  vips:
    - name: web
      address: 198.18.10.1
      port: 80
      protocol: tcp
      backends:
        - { address: 198.18.20.1, weight: 5000 }
YAML
"$D" -t -c "$SL_TMP/bad.yaml" >"$SL_TMP/out" 2>&1
rc=$?
[ $rc = 1 ]
ok $? "invalid config: exit 1 (got $rc)"
grep -q "^$SL_TMP/bad.yaml:[0-9][0-9]*: " "$SL_TMP/out"
ok $? "errors as file:line: message: $(head -2 "$SL_TMP/out" | tr '\n' ' ')"
grep -q "bad.yaml:11: " "$SL_TMP/out"
ok $? "the error points at the bad line (11)"

"$D" -t -c "$SL_TMP/missing.yaml" >"$SL_TMP/out" 2>&1
[ $? -ne 0 ] && grep -q "missing.yaml" "$SL_TMP/out"
ok $? "missing file: non-zero, names the file"

"$D" -h | grep -q -- "-t"
ok $? "sluiced -h prints usage"
"$D" -V | grep -q "^sluiced "
ok $? "sluiced -V prints the version"
"$D" >/dev/null 2>&1
[ $? = 2 ]
ok $? "no -c: usage error, exit 2"
# The README's example (its forward-proxy snippet spliced in where its comments say) is a valid config.
python3 - "$SL_ROOT/README.md" >"$SL_TMP/readme.yaml" <<'EOP'
import re, sys
blocks = re.findall(r"```yaml\n(.*?)```", open(sys.argv[1]).read(), re.S)
lines = blocks[1].split("\n")
print(blocks[0].replace("  upstreams:\n", "\n".join(lines[0:4]) + "\n  upstreams:\n", 1) + "\n".join(lines[4:]))
EOP
# the example's admin token file is the operator's to create: a token of our own stands in for it
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$SL_TMP/admin.token"
chmod 600 "$SL_TMP/admin.token"
sed -i "s|token_file: /etc/sluice/admin.token|token_file: $SL_TMP/admin.token|" "$SL_TMP/readme.yaml"
# ... and so are its certificates: throwaway ones (ECDSA and RSA for example.com, an internal CA) stand in
for kind in ecdsa rsa; do
	[ $kind = ecdsa ] && alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256) || alg=(-newkey rsa:2048)
	openssl req -x509 "${alg[@]}" -nodes -days 2 -subj /CN=example.com -addext subjectAltName=DNS:example.com \
		-keyout "$SL_TMP/example.com.$kind.key" -out "$SL_TMP/example.com.$kind.pem" 2>/dev/null
done
cp "$SL_TMP/example.com.ecdsa.pem" "$SL_TMP/internal-ca.pem"
sed -i "s#/etc/sluice/\(example.com\.[a-z]*\.[a-z]*\|internal-ca.pem\)#$SL_TMP/\1#g" "$SL_TMP/readme.yaml"
out=$("$D" -t -c "$SL_TMP/readme.yaml" 2>&1)
ok $? "the README's config example validates ($out)"
done_testing
