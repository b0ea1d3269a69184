#!/usr/bin/env bash
# Runs docker compose on docker-compose.yml with the demo's shared secrets (created in .demo/
# on first use: a master key and an administrator token, mode 0600). Arguments go to compose,
# e.g. `tools/demo/compose.sh up -d`, `tools/demo/compose.sh --profile edges down -v`.
# PORTCULLIS_COMPOSE_HOST=1 adds docker-compose.host.yml (host networking on loopback).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [[ ! -f .demo/control-plane.env ]]; then
  mkdir -p .demo && chmod 700 .demo
  umask 077
  {
    echo "PORTCULLIS_MASTER_KEY=$(head -c 32 /dev/urandom | base64 -w0)"
    echo "PORTCULLIS_ADMIN_TOKEN=adm_$(head -c 32 /dev/urandom | base64 -w0 | tr '+/' '-_' | tr -d '=')"
  } > .demo/control-plane.env
  echo "compose: wrote .demo/control-plane.env (the administrator token is in it)" >&2
fi

# The edges' join token, written by tools/demo/start-edges.sh. Compose reads every env_file
# of the configuration, so the file must exist (empty) before the edges are enrolled.
if [[ ! -f .demo/edge.env ]]; then
  (umask 077 && : > .demo/edge.env)
fi

files=(-f docker-compose.yml -f docker-compose.override.yml)
[[ "${PORTCULLIS_COMPOSE_HOST:-0}" == 1 ]] && files=(-f docker-compose.yml -f docker-compose.host.yml)
if docker compose version >/dev/null 2>&1; then
  exec docker compose "${files[@]}" "$@"
fi
exec docker-compose "${files[@]}" "$@"
