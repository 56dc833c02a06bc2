#!/usr/bin/env bash
# Start Redis and PostgreSQL when they are not answering and their binaries
# exist. Used by `make run` (Redis only) and `make test` (both).
# Usage: scripts/ensure_services.sh [redis] [postgres]
set -euo pipefail

want=("$@")
[ ${#want[@]} -gt 0 ] || want=(redis postgres)

ensure_redis() {
  local url="${REDIS_URL:-redis://127.0.0.1:6379/0}"
  if python3 - "$url" <<'PY' 2>/dev/null; then return 0; fi
import socket, sys, urllib.parse
u = urllib.parse.urlsplit(sys.argv[1])
s = socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=1)
s.sendall(b"PING\r\n"); assert s.recv(16).startswith(b"+PONG")
PY
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Redis is not answering at $url and redis-server is not installed." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install redis-server) or set REDIS_URL." >&2
    exit 1
  fi
  echo "starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 50); do
    redis-cli -p 6379 ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "redis-server did not start" >&2; exit 1
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then return 0; fi
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "PostgreSQL is not answering on 127.0.0.1:5432 and pg_ctlcluster is not installed." >&2
    echo "Install it (Debian/Ubuntu: sudo apt-get install postgresql) or set TEST_DATABASE_URL." >&2
    exit 1
  fi
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 1 100); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return 0
    sleep 0.1
  done
  echo "PostgreSQL did not start" >&2; exit 1
}

for service in "${want[@]}"; do
  "ensure_$service"
done
