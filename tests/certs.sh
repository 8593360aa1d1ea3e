#!/usr/bin/env bash
# certs.sh — a private CA and one certificate per name, with openssl, for tests and the
# local stack (./dev up). Production certificates come from cert-manager (k8s/).
#
#   certs.sh DIR NAME...     DIR/ca.pem, DIR/ca.key, and DIR/NAME.pem + DIR/NAME.key for
#                            each NAME: CN=NAME, SAN DNS:NAME, DNS:localhost, IP:127.0.0.1,
#                            usable as server and client certificate (mutual TLS).
#   certs.sh --ca-only DIR   a new CA in DIR (to rotate to a new CA in tests)
# An existing DIR/ca.pem is reused, so certificates can be added or renewed later.
set -euo pipefail

ca_only=0
if [ "${1:-}" = --ca-only ]; then ca_only=1; shift; fi
dir=${1:?usage: certs.sh DIR NAME...}; shift
mkdir -p "$dir"
umask 077

if [ ! -s "$dir/ca.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=booking-platform test CA" -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
fi
[ "$ca_only" = 1 ] && exit 0

for name in "$@"; do
  ext=$(mktemp)
  printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n' \
    "$name" >"$ext"
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
    -keyout "$dir/$name.key.new" -out "$dir/$name.csr" 2>/dev/null
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -extfile "$ext" -out "$dir/$name.pem.new" 2>/dev/null
  rm -f "$ext" "$dir/$name.csr"
  # key first, then the certificate: a reader never pairs a new certificate with an old key
  mv "$dir/$name.key.new" "$dir/$name.key"
  mv "$dir/$name.pem.new" "$dir/$name.pem"
done
chmod 644 "$dir"/*.pem
