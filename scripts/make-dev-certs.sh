#!/usr/bin/env bash
# Makes a development CA and certificates for mutual TLS between services:
#   make-dev-certs.sh <out dir> [service ...]      (default services: role gateway)
# Writes ca.pem/ca.key, server.pem/server.key (SAN localhost, 127.0.0.1 and
# each service's name, for use by every server) and, per service,
# <name>.pem/<name>.key with CN "services/<name>": a server started with
# --tls_client_ca_file=ca.pem --tls_identity_from_cert takes a caller
# presenting it as the service identity services/<name>.
# For development and tests only: keys are unencrypted, valid for 30 days.
set -euo pipefail
out="${1:?usage: make-dev-certs.sh <out dir> [service ...]}"
shift
services=("$@")
[[ ${#services[@]} -gt 0 ]] || services=(role gateway)
mkdir -p "$out"
cd "$out"
umask 077
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=isms development CA" \
  -keyout ca.key -out ca.pem 2>/dev/null
san="DNS:localhost,IP:127.0.0.1"
for s in "${services[@]}"; do san="$san,DNS:isms-$s"; done
openssl req -newkey rsa:2048 -nodes -subj "/CN=isms-server" -keyout server.key \
  -out server.csr 2>/dev/null
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
  -extfile <(printf "subjectAltName=%s\nextendedKeyUsage=serverAuth\n" "$san") \
  -out server.pem 2>/dev/null
for s in "${services[@]}"; do
  openssl req -newkey rsa:2048 -nodes -subj "/CN=services\/$s" -keyout "$s.key" \
    -out "$s.csr" 2>/dev/null
  openssl x509 -req -in "$s.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -days 30 \
    -extfile <(printf "extendedKeyUsage=clientAuth\n") -out "$s.pem" 2>/dev/null
done
rm -f ./*.csr ca.srl
chmod 644 ./*.pem
echo "certificates in $out: ca.pem, server.pem/key, ${services[*]/%/.pem/key}"
