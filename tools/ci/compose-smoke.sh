#!/usr/bin/env bash
# Builds the images and brings up docker-compose.yml (host networking here), then checks that
# an account created through one control-plane replica is visible through the other, i.e.
# both run from the images and share Redis. Tears everything down again.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PORTCULLIS_COMPOSE_HOST=1

npm run images
trap 'tools/demo/compose.sh down -v >/dev/null 2>&1 || true' EXIT
tools/demo/compose.sh up -d

admin=$(grep '^PORTCULLIS_ADMIN_TOKEN=' .demo/control-plane.env | cut -d= -f2)
for port in 8081 8082; do
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
done
name="smoke-$(date +%s)"
curl -sf -X POST http://127.0.0.1:8081/v1/accounts -H "authorization: Bearer $admin" \
  -H 'content-type: application/json' -d "{\"name\":\"$name\"}" >/dev/null
curl -sf "http://127.0.0.1:8082/v1/accounts?pageSize=100" -H "authorization: Bearer $admin" | grep -q "\"$name\"" \
  || { echo "compose smoke: replica b does not see the account created on replica a" >&2; exit 1; }
echo "compose smoke: two replicas on one Redis, from the images: ok"
