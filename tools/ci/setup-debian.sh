#!/usr/bin/env bash
# Prepares a Debian machine (as root) for Portcullis' tests and demo: the real programs the
# tests use as peers and clients, and a running Docker engine. Safe to run again.
#
# The engine is started without its default bridge network and without iptables rules:
# every container Portcullis starts uses the host network and binds to loopback only.
set -euo pipefail

packages=(docker.io docker-compose openssl curl nginx redis-server git ca-certificates gcc libssl-dev chromium haproxy caddy debootstrap)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian starts the packaged services on install; the tests start their own on free ports.
for svc in nginx redis-server haproxy caddy; do
  if command -v systemctl >/dev/null && systemctl is-active --quiet "$svc" 2>/dev/null; then systemctl stop "$svc" || true; fi
done

if ! docker info >/dev/null 2>&1; then
  echo "setup: starting dockerd"
  nohup dockerd --bridge=none --iptables=false --ip6tables=false >/var/log/portcullis-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  docker info >/dev/null 2>&1 || { echo "setup: dockerd did not start; see /var/log/portcullis-dockerd.log" >&2; exit 1; }
fi
echo "setup: docker $(docker version --format '{{.Server.Version}}'), openssl $(openssl version | cut -d' ' -f2), curl $(curl --version | head -1 | cut -d' ' -f2)"
