#!/usr/bin/env bash
# Enrolls and starts the two edge nodes of docker-compose.yml (run after `compose.sh up -d`):
# creates a join token for two edges through control-plane-a with the administrator token of
# .demo/control-plane.env, writes it with the fleet CA's fingerprint (the edges pin it) to
# .demo/edge.env (mode 0600), and starts the `edges` profile. An edge that is already
# enrolled keeps its identity (its /state volume) and does not use the token again.
# PORTCULLIS_DEMO_API overrides where control-plane-a's HTTP API is (default 127.0.0.1:8081).
set -euo pipefail
cd "$(dirname "$0")/../.."

api=${PORTCULLIS_DEMO_API:-http://127.0.0.1:8081}
admin=$(grep '^PORTCULLIS_ADMIN_TOKEN=' .demo/control-plane.env | cut -d= -f2)
for _ in $(seq 1 120); do curl -sf "$api/readyz" >/dev/null && break; sleep 0.5; done
answer=$(curl -sf -X POST "$api/v1/edge-join-tokens" -H "authorization: Bearer $admin" \
  -H 'content-type: application/json' -d '{"name":"compose edges","maxUses":2,"ttlSeconds":900}')
field() { printf '%s' "$answer" | node -e "process.stdout.write(String(JSON.parse(require('fs').readFileSync(0, 'utf8'))['$1'] ?? ''))"; }
token=$(field token)
pin=$(field fleetCaFingerprintSha256)
if [[ -z $token || -z $pin ]]; then
  echo "start-edges: the control plane did not return a join token" >&2
  exit 1
fi
(umask 077 && printf 'PORTCULLIS_JOIN_TOKEN=%s\nPORTCULLIS_FLEET_CA_SHA256=%s\n' "$token" "$pin" > .demo/edge.env)
echo "start-edges: wrote .demo/edge.env (a join token for two edges, valid 15 minutes)" >&2
exec tools/demo/compose.sh --profile edges up -d
