#!/usr/bin/env bash
# Regenerates the test keystores of the DERP client TLS tests (derp/src/test/.../client). Run from this
# directory with a JDK 25 keytool on PATH (or KEYTOOL=/path/to/keytool). All stores use password "changeit";
# certificates are valid for 100 years, so the tests never expire.
set -euo pipefail
kt=${KEYTOOL:-keytool}
P=changeit
V=36500
EC=(-keyalg EC -groupname secp256r1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -f truststore.p12 server.p12 wronghost.p12 meta.p12

# Root CA (trust anchor) and an intermediate CA it signs.
"$kt" -genkeypair -alias root "${EC[@]}" -dname "CN=derphole test root CA" -ext bc:c=ca:true \
  -ext ku:c=keyCertSign,cRLSign -validity $V -keystore "$work/root.p12" -storepass $P
"$kt" -exportcert -rfc -alias root -keystore "$work/root.p12" -storepass $P > "$work/root.pem"
"$kt" -genkeypair -alias inter "${EC[@]}" -dname "CN=derphole test intermediate CA" -validity $V \
  -keystore "$work/inter.p12" -storepass $P
"$kt" -certreq -alias inter -keystore "$work/inter.p12" -storepass $P \
  | "$kt" -gencert -rfc -alias root -keystore "$work/root.p12" -storepass $P -validity $V \
      -ext bc:c=ca:true,pathlen:0 -ext ku:c=keyCertSign,cRLSign > "$work/inter.pem"
"$kt" -importcert -noprompt -alias root -file "$work/root.pem" -keystore "$work/inter.p12" -storepass $P
"$kt" -importcert -noprompt -alias inter -file "$work/inter.pem" -keystore "$work/inter.p12" -storepass $P

# truststore.p12: the root only.
"$kt" -importcert -noprompt -alias root -file "$work/root.pem" -keystore truststore.p12 -storepass $P

# leaf NAME SANS STORE: a server key whose certificate (signed by the intermediate) names SANS; chain leaf, inter, root.
leaf() {
  "$kt" -genkeypair -alias derp "${EC[@]}" -dname "CN=$1" -validity $V -keystore "$3" -storepass $P
  "$kt" -certreq -alias derp -keystore "$3" -storepass $P \
    | "$kt" -gencert -rfc -alias inter -keystore "$work/inter.p12" -storepass $P -validity $V \
        -ext "san=$2" -ext eku=serverAuth -ext ku:c=digitalSignature > "$work/leaf.pem"
  cat "$work/leaf.pem" "$work/inter.pem" "$work/root.pem" > "$work/chain.pem"
  "$kt" -importcert -noprompt -alias root -file "$work/root.pem" -keystore "$3" -storepass $P
  "$kt" -importcert -noprompt -alias derp -file "$work/chain.pem" -keystore "$3" -storepass $P
  "$kt" -delete -alias root -keystore "$3" -storepass $P
}
leaf localhost dns:localhost,ip:127.0.0.1 server.p12
leaf wrong.example dns:wrong.example wronghost.p12

# meta.p12: derper-style self-signed "meta cert" (CN derpkey + 64 hex of a server key; Ed25519 like derper).
"$kt" -genkeypair -alias meta -keyalg Ed25519 \
  -dname "CN=derpkey0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab" -validity $V \
  -keystore meta.p12 -storepass $P
echo "wrote truststore.p12 server.p12 wronghost.p12 meta.p12"
