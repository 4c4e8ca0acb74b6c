#!/usr/bin/env bash
# Runs the suite on this machine: installs what is missing, builds, starts
# every service on loopback with its data under .local/, and prints how to
# call it. Ctrl-C (or SIGTERM) stops everything gracefully.
# ISMS_TLS=1: serve mutual TLS with development certificates made once under
# .local/certs by scripts/make-dev-certs.sh (the CLI then presents the
# gateway's client certificate).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
scripts/install-deps.sh
scripts/build.sh

local_dir="${ISMS_LOCAL_DIR:-$root/.local}"
role_address="127.0.0.1:${ISMS_ROLE_PORT:-7001}"
mkdir -p "$local_dir/data" "$local_dir/logs"
chmod 700 "$local_dir"

# The bootstrap token: made once, kept only as a SHA-256 hash in the token file.
token_file="$local_dir/tokens"
bootstrap_token_file="$local_dir/bootstrap.token"
if [[ ! -s "$bootstrap_token_file" ]]; then
  (umask 077; openssl rand -hex 32 > "$bootstrap_token_file")
  hash="$(tr -d '\n' < "$bootstrap_token_file" | sha256sum | cut -d' ' -f1)"
  (umask 077; echo "$hash principal principals/bootstrap-admin" >> "$token_file")
fi
token="$(cat "$bootstrap_token_file")"

tls_flags=()
cli_tls=""
if [[ "${ISMS_TLS:-0}" == 1 ]]; then
  certs="$local_dir/certs"
  [[ -s "$certs/ca.pem" ]] || scripts/make-dev-certs.sh "$certs" role gateway
  tls_flags=(--tls_cert_file="$certs/server.pem" --tls_key_file="$certs/server.key"
             --tls_client_ca_file="$certs/ca.pem" --tls_identity_from_cert)
  cli_tls=" --tls_ca_file=$certs/ca.pem --tls_cert_file=$certs/gateway.pem --tls_key_file=$certs/gateway.key"
fi

pids=()
stop() {
  trap - INT TERM
  echo; echo "Stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait
  exit 0
}
trap stop INT TERM

# --init only on first start (no database file yet): a database that later
# goes missing or empty is refused rather than silently started afresh.
role_init=()
[[ -e "$local_dir/data/role/role.db" ]] || role_init=(--init)
# A ready file left by an earlier run would make a refused start look ready.
rm -f "$local_dir/role.ready"

build/services/role/isms-role-service "${role_init[@]}" \
  --listen="$role_address" \
  --data_dir="$local_dir/data/role" \
  --token_file="$token_file" \
  --catalogue_file="$root/services/role/catalogue/roles.textproto" \
  --bootstrap_principal=principals/bootstrap-admin \
  --ready_file="$local_dir/role.ready" \
  "${tls_flags[@]}" \
  2>>"$local_dir/logs/role.log" &
pids+=($!)

for _ in $(seq 1 100); do
  [[ -s "$local_dir/role.ready" ]] && break
  kill -0 "${pids[0]}" 2>/dev/null || { echo "role service failed to start; see $local_dir/logs/role.log"; tail -5 "$local_dir/logs/role.log"; exit 1; }
  sleep 0.1
done

cli="build/tools/isms-cli --address=$role_address --token_file=$bootstrap_token_file$cli_tls"
cat <<INFO

ISMS suite is running. Data: $local_dir/data   Logs: $local_dir/logs

  role service   $role_address   (isms.role.v1.RoleService, health, reflection)

Bootstrap token (principal principals/bootstrap-admin; it may manage roles,
principals and appointments until the first appointment to a management
role such as SIRO or ISM, after which it never comes back by itself):
  $token

Try:
  $cli health
  $cli services
  $cli isms.role.v1.RoleService/ListRoles 'page_size: 20'
  $cli isms.role.v1.RoleService/CreatePrincipal 'principal_id: "alice" principal { display_name: "Alice" kind: PRINCIPAL_KIND_PERSON board_level: true }'
  $cli isms.role.v1.RoleService/CreateAssignment 'assignment { role: "roles/siro" principal: "principals/alice" }'
  $cli isms.role.v1.RoleService/CheckPermission 'principal: "principals/alice" permission: "isms.risks.accept"'
  $cli isms.role.v1.RoleService/GetCoverageReport ''

Press Ctrl-C to stop.
INFO
wait
