#!/bin/sh
# Makes a private certificate authority and certificates signed by it, with
# the openssl command: for trying TLS and mTLS out, and for the tests. A
# real deployment uses its organisation's CA instead (README "Deployment").
#
#   deploy/make-certs.sh DIR SERVER_NAME [CLIENT_NAME...]
#
# writes DIR/ca.pem (+ ca.key), DIR/server.pem + server.key (subject CN
# SERVER_NAME, valid for SERVER_NAME, localhost and 127.0.0.1) and, per
# client, DIR/CLIENT_NAME.pem + .key whose subject CN is the principal the
# server knows it by. An existing DIR/ca.pem is reused, so clients can be
# added later. CLIENT_NAME may end in ":expired" for an already expired
# certificate (tests).
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 DIR SERVER_NAME [CLIENT_NAME...]" >&2
  exit 2
fi
dir=$1
server=$2
shift 2
mkdir -p "$dir"
cd "$dir"
umask 077

newkey() {  # $1: file; ECDSA P-256 keys are quick to make and to use
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" \
    2>/dev/null
}

if [ ! -f ca.pem ]; then
  newkey ca.key
  openssl req -x509 -new -key ca.key -days 3650 -subj "/CN=Missionlog CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" -out ca.pem
fi

# sign NAME DAYS USAGE SAN
sign() {
  newkey "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$1" -out "$1.csr"
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' \
    "$3" "$4" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days "$2" -extfile "$1.ext" -out "$1.pem" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

sign_server() {
  newkey server.key
  openssl req -new -key server.key -subj "/CN=$server" -out server.csr
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\n' \
    "$server" > server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -days 825 -extfile server.ext -out server.pem 2>/dev/null
  rm -f server.csr server.ext
}

sign_server
for client in "$@"; do
  case $client in
    *:expired) sign "${client%:expired}" -1 clientAuth "" ;;
    *) sign "$client" 825 clientAuth "" ;;
  esac
done
chmod 644 ca.pem server.pem
echo "certificates in $dir: ca.pem server.pem $*"
