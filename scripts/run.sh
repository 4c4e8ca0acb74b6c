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
audit_address="127.0.0.1:${ISMS_AUDIT_PORT:-7002}"
asset_address="127.0.0.1:${ISMS_ASSET_PORT:-7003}"
mkdir -p "$local_dir/data" "$local_dir/logs"
chmod 700 "$local_dir"

# Tokens: made once, kept only as SHA-256 hashes in each service's token file.
# The bootstrap principal may call both services; the role service appends to
# the audit log as services/role; the audit service asks the role service
# about permissions as services/audit; the asset service does both as
# services/asset. People reach the asset service through services/gateway,
# which acts on behalf of the principal it names (the gateway's token).
token_file="$local_dir/tokens"
audit_token_file="$local_dir/audit-tokens"
asset_token_file="$local_dir/asset-tokens"
new_token() {  # new_token <file for the raw token> <line for the hash file> <hash files...>
  local raw="$1" line="$2"; shift 2
  if [[ ! -s "$raw" ]]; then
    (umask 077; openssl rand -hex 32 > "$raw")
    local hash; hash="$(tr -d '\n' < "$raw" | sha256sum | cut -d' ' -f1)"
    for file in "$@"; do (umask 077; echo "$hash $line" >> "$file"); done
  fi
}
bootstrap_token_file="$local_dir/bootstrap.token"
new_token "$bootstrap_token_file" "principal principals/bootstrap-admin" "$token_file" "$audit_token_file"
new_token "$local_dir/role-to-audit.token" "service services/role append-audit" "$audit_token_file"
new_token "$local_dir/audit-to-role.token" "service services/audit check-permissions" "$token_file"
new_token "$local_dir/asset-to-role.token" "service services/asset check-permissions read-register" "$token_file"
new_token "$local_dir/asset-to-audit.token" "service services/asset append-audit" "$audit_token_file"
new_token "$local_dir/gateway.token" "service services/gateway on-behalf-of" "$asset_token_file"
token="$(cat "$bootstrap_token_file")"

# The audit log's Ed25519 signing key, made once, and its public half pinned
# for verifiers at the same moment: audit-public.pem, which the service
# writes at every start, says only which key it started with.
audit_key="$local_dir/audit-signing-key.pem"
pinned_key="$local_dir/audit-public-pinned.pem"
if [[ ! -s "$audit_key" ]]; then
  (umask 077; openssl genpkey -algorithm ed25519 -out "$audit_key")
  openssl pkey -in "$audit_key" -pubout -out "$pinned_key"
fi

tls_flags=()
cli_tls=""
if [[ "${ISMS_TLS:-0}" == 1 ]]; then
  certs="$local_dir/certs"
  # Made again when a service's certificate is missing (the asset service's,
  # for certificates made before it existed).
  [[ -s "$certs/asset.pem" ]] || scripts/make-dev-certs.sh "$certs" role audit asset gateway
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

# Waits for a service's ready file; stops everything if it exits first.
wait_ready() {  # wait_ready <name> <pid>
  for _ in $(seq 1 100); do
    [[ -s "$local_dir/$1.ready" ]] && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "$1 service failed to start; see $local_dir/logs/$1.log"; tail -5 "$local_dir/logs/$1.log"
  stop
}

# --init only on first start (no database file yet): a database that later
# goes missing or empty is refused rather than silently started afresh.
role_init=()
[[ -e "$local_dir/data/role/role.db" ]] || role_init=(--init)
audit_init=()
[[ -e "$local_dir/data/audit/audit.db" ]] || audit_init=(--init)
asset_init=()
[[ -e "$local_dir/data/asset/asset.db" ]] || asset_init=(--init)
# A ready file left by an earlier run would make a refused start look ready.
rm -f "$local_dir/role.ready" "$local_dir/audit.ready" "$local_dir/asset.ready"

audit_tls=() role_tls=() asset_tls=()
if [[ "${ISMS_TLS:-0}" == 1 ]]; then
  asset_tls=(--audit_tls_ca_file="$certs/ca.pem" --audit_tls_cert_file="$certs/asset.pem"
             --audit_tls_key_file="$certs/asset.key"
             --role_service_tls_ca_file="$certs/ca.pem" --role_service_tls_cert_file="$certs/asset.pem"
             --role_service_tls_key_file="$certs/asset.key")
  audit_tls=(--audit_tls_ca_file="$certs/ca.pem" --audit_tls_cert_file="$certs/role.pem"
             --audit_tls_key_file="$certs/role.key")
  role_tls=(--role_service_tls_ca_file="$certs/ca.pem" --role_service_tls_cert_file="$certs/audit.pem"
            --role_service_tls_key_file="$certs/audit.key")
fi

build/services/audit/isms-audit-service "${audit_init[@]}" \
  --listen="$audit_address" \
  --data_dir="$local_dir/data/audit" \
  --token_file="$audit_token_file" \
  --signing_key_file="$audit_key" \
  --public_key_file="$local_dir/audit-public.pem" \
  --role_service_address="$role_address" \
  --role_service_token_file="$local_dir/audit-to-role.token" \
  --ready_file="$local_dir/audit.ready" \
  "${tls_flags[@]}" "${role_tls[@]}" \
  2>>"$local_dir/logs/audit.log" &
pids+=($!)
wait_ready audit "${pids[-1]}"

build/services/role/isms-role-service "${role_init[@]}" \
  --listen="$role_address" \
  --data_dir="$local_dir/data/role" \
  --token_file="$token_file" \
  --catalogue_file="$root/services/role/catalogue/roles.textproto" \
  --bootstrap_principal=principals/bootstrap-admin \
  --audit_address="$audit_address" \
  --audit_token_file="$local_dir/role-to-audit.token" \
  --ready_file="$local_dir/role.ready" \
  "${tls_flags[@]}" "${audit_tls[@]}" \
  2>>"$local_dir/logs/role.log" &
pids+=($!)
wait_ready role "${pids[-1]}"

build/services/asset/isms-asset-service "${asset_init[@]}" \
  --listen="$asset_address" \
  --data_dir="$local_dir/data/asset" \
  --token_file="$asset_token_file" \
  --role_service_address="$role_address" \
  --role_service_token_file="$local_dir/asset-to-role.token" \
  --audit_address="$audit_address" \
  --audit_token_file="$local_dir/asset-to-audit.token" \
  --ready_file="$local_dir/asset.ready" \
  "${tls_flags[@]}" "${asset_tls[@]}" \
  2>>"$local_dir/logs/asset.log" &
pids+=($!)
wait_ready asset "${pids[-1]}"

cli="build/tools/isms-cli --address=$role_address --token_file=$bootstrap_token_file$cli_tls"
audit_cli="build/tools/isms-cli --address=$audit_address --token_file=$bootstrap_token_file$cli_tls"
asset_cli="build/tools/isms-cli --address=$asset_address --token_file=$local_dir/gateway.token$cli_tls --on_behalf_of=principals/alice"
verify="build/tools/isms-audit-verify --address=$audit_address --token_file=$bootstrap_token_file$cli_tls --public_key_file=$pinned_key --state_file=$local_dir/verified-head"
cat <<INFO

ISMS suite is running. Data: $local_dir/data   Logs: $local_dir/logs

  role service   $role_address   (isms.role.v1.RoleService, health, reflection)
  audit service  $audit_address   (isms.audit.v1.AuditService; the role service delivers to it)
  asset service  $asset_address   (isms.asset.v1.AssetService and RiskService; asks the role service, delivers to audit)

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
  $cli isms.role.v1.RoleService/GetAuditDelivery ''

The audit trail (reading it needs isms.audit.read, e.g. as SIRO alice; the
bootstrap admin holds no role, so these are refused until it does):
  $audit_cli isms.audit.v1.AuditService/GetTreeHead ''
  $audit_cli isms.audit.v1.AuditService/QueryEvents 'newest_first: true page_size: 5'
  $verify --event_index=0

The asset register, as the gateway acting for alice (creating and deleting
assets needs isms.assets.manage: the SIRO and the ISM hold it; changing one
needs isms.assets.update on it: its IAO, appointed with scope "assets/<id>"):
  $asset_cli isms.asset.v1.AssetService/CreateAsset 'asset_id: "hr-db" asset { title: "HR database" classification: CLASSIFICATION_CONFIDENTIAL information_kinds: INFORMATION_KIND_PERSONAL_DATA location: "hr-db-01" review_time { seconds: 1830297600 } }'
  $asset_cli isms.asset.v1.AssetService/ListAssets 'page_size: 20'

The risk register (RiskService, same address; as SIRO alice: she keeps the
register, and accepts risks she does not own):
  $asset_cli isms.asset.v1.RiskService/ListRisks 'page_size: 20 band: RISK_BAND_VERY_HIGH'
  $asset_cli isms.asset.v1.RiskService/ListIncidents 'open_breaches: true'

Press Ctrl-C to stop.
INFO
wait
