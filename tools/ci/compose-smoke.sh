#!/usr/bin/env bash
# Builds the images and brings up docker-compose.yml (host networking here), then checks that
# an account created through one control-plane replica is visible through the other, i.e.
# both run from the images and share Redis; then enrolls the two edges with a join token
# (tools/demo/start-edges.sh), configures a site with mTLS through the API, and checks with
# curl that both edges answer 200 with the client certificate and 403 without, and 403 once it
# is revoked. Tears everything down again.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PORTCULLIS_COMPOSE_HOST=1

npm run images
work=$(mktemp -d)
trap 'tools/demo/compose.sh --profile edges down -v >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
tools/demo/compose.sh up -d

admin=$(grep '^PORTCULLIS_ADMIN_TOKEN=' .demo/control-plane.env | cut -d= -f2)
for port in 8081 8082; do
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
done
name="smoke-$(date +%s)"
curl -sf -X POST http://127.0.0.1:8081/v1/accounts -H "authorization: Bearer $admin" \
  -H 'content-type: application/json' -d "{\"name\":\"$name\"}" >/dev/null
curl -sf "http://127.0.0.1:8082/v1/accounts?pageSize=100" -H "authorization: Bearer $admin" | grep -q "\"$name\"" \
  || { echo "compose smoke: replica b does not see the account created on replica a" >&2; exit 1; }
echo "compose smoke: two replicas on one Redis, from the images: ok"

# Edges: enrolled with a join token, configured through replica a, checked with curl.
tools/demo/start-edges.sh
for port in 9901 9902; do
  for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
done
json() { node -e "let v = JSON.parse(require('fs').readFileSync(0, 'utf8')); for (const k of process.argv[1].split('.')) v = v?.[k]; process.stdout.write(String(v ?? ''))" "$1"; }
api() { curl -sf -X "$1" "http://127.0.0.1:8081$2" -H "authorization: Bearer $3" ${4:+-H 'content-type: application/json' -d "$4"}; }
zone="$name.example.com"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=Smoke server CA" -days 2 \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$zone" \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:%s,DNS:*.%s\nbasicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\n' "$zone" "$zone" > "$work/server.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
  -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null
key=$(api POST /v1/accounts "$admin" "{\"name\":\"$name-edges\"}" | json apiKey.secret)
site=$(api POST /v1/sites "$key" "{\"name\":\"$zone\",\"originUrl\":\"http://127.0.0.1:8000\"}" | json id)
node -e "const fs = require('fs'); process.stdout.write(JSON.stringify({ certificate: fs.readFileSync(process.argv[1], 'utf8'), privateKey: fs.readFileSync(process.argv[2], 'utf8') }))" \
  "$work/server.pem" "$work/server.key" > "$work/upload.json"
api POST "/v1/sites/$site/server-certificates" "$key" "@$work/upload.json" >/dev/null
issued=$(api POST "/v1/sites/$site/client-certificates" "$key" '{"pkeyType":"ECC","commonName":"smoke-device","validityDays":7}')
printf '%s' "$issued" | json certificate.certificate > "$work/client.pem"
(umask 077 && printf '%s' "$issued" | json privateKey > "$work/client.key")
api PUT "/v1/sites/$site/ca-bindings/account" "$key" "{\"hostnames\":[\"api.$zone\"]}" >/dev/null
api POST "/v1/sites/$site/waf-rules" "$key" \
  "{\"name\":\"mTLS\",\"expression\":\"http.host eq \\\"api.$zone\\\" and not ssl.client_cert.verified\",\"action\":{\"type\":\"block\"}}" >/dev/null
# Waits (at most 10 s) until the edge on port $2 answers status $1; the rest are curl options.
expect_status() {
  local want=$1 port=$2 got=000
  shift 2
  for _ in $(seq 1 100); do
    got=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 --resolve "api.$zone:$port:127.0.0.1" --cacert "$work/ca.pem" "$@" "https://api.$zone:$port/")
    [[ $got == "$want" ]] && return 0
    sleep 0.1
  done
  echo "compose smoke: the edge on port $port answers $got, not $want" >&2
  exit 1
}
for port in 8443 8444; do
  expect_status 200 "$port" --cert "$work/client.pem" --key "$work/client.key"
  expect_status 403 "$port"
done
api POST "/v1/sites/$site/client-certificates/$(printf '%s' "$issued" | json certificate.id)/revoke" "$key" '{"confirm":true}' >/dev/null
for port in 8443 8444; do expect_status 403 "$port" --cert "$work/client.pem" --key "$work/client.key"; done
echo "compose smoke: two enrolled edges answer 200 with the client certificate, 403 without and after revocation: ok"
