#!/bin/sh
# `npm run dev-certs -- [out-dir] [device-id ...]`: a local development CA and certificates, made
# with openssl (Debian's `openssl` package). For development and tests only: the CA key is left
# beside the certificates.
#
#   <out>/ca.crt, ca.key           the development CA (GANZHI_TLS_CA, and clients' --cafile)
#   <out>/server.crt, server.key   the gateway's certificate for 127.0.0.1 and localhost
#                                  (GANZHI_TLS_CERT, GANZHI_TLS_KEY); extra names: GANZHI_DEV_CERT_SAN
#   <out>/<id>.crt, <id>.key       a client certificate per device id given (CN = the device id)
set -eu
out=${1:-./certs}
[ $# -gt 0 ] && shift
days=${GANZHI_DEV_CERT_DAYS:-825}
san=${GANZHI_DEV_CERT_SAN:-}
umask 077
mkdir -p "$out"
command -v openssl >/dev/null || { echo "dev-certs: openssl not found (apt-get install openssl)" >&2; exit 2; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days "$days" \
  -subj "/O=Ganzhi development/CN=Ganzhi development CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$out/ca.key" -out "$out/ca.crt" 2>/dev/null

issue() { # name, subject, extensions
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$2" \
    -keyout "$out/$1.key" -out "$out/$1.csr" 2>/dev/null
  printf '%s\n' "$3" > "$out/$1.ext"
  openssl x509 -req -in "$out/$1.csr" -CA "$out/ca.crt" -CAkey "$out/ca.key" -CAcreateserial \
    -days "$days" -extfile "$out/$1.ext" -out "$out/$1.crt" 2>/dev/null
  rm -f "$out/$1.csr" "$out/$1.ext"
}

issue server "/O=Ganzhi development/CN=localhost" \
  "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost${san:+,$san}
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature"

for id in "$@"; do
  issue "$id" "/O=Ganzhi development/CN=$id" "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature"
done
rm -f "$out/ca.srl"
chmod 600 "$out"/*.key
echo "dev-certs: CA, server and ${#} device certificate(s) in $out"
