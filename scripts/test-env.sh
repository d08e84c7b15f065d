#!/usr/bin/env bash
# Sets up what the tests need on this machine (Debian), so that `npm test` passes from a fresh clone:
#   - Debian packages: chromium (the GraphiQL browser test), libxml2-utils (xmllint, the WSDL tests), redis-server
#     (the Redis tests, and the private servers the outage tests start and stop);
#     postgresql (the durable-store tests run on it as well as on the embedded PGlite), fonts-wqy-zenhei (a CJK font,
#     so the browser tests' screenshots show the Chinese data); docker-compose and haproxy (test/deploy-files.test.ts
#     checks deploy/compose.yaml against the Compose schema and deploy/haproxy.cfg with them; nothing is run);
#   - services: Redis on 127.0.0.1:6379 and PostgreSQL on 5432 with the database `test` and trust auth on local TCP
#     (required), RabbitMQ on 5672 (started when installed and not running).
# Idempotent and silent when everything is there; `apt-get update` runs once, and only when a package is missing.
# Exits non-zero, saying what is missing, when it cannot set something up: a test needing a service must then fail,
# never skip. Called by `npm test` and so by .ci/run.
set -euo pipefail

# Debian packages, as "command-or-path:package".
PACKAGES=(
  "/usr/bin/chromium:chromium"
  "xmllint:libxml2-utils"
  "redis-server:redis-server"
  "pg_ctlcluster:postgresql"
  "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc:fonts-wqy-zenhei"
  "rabbitmq-server:rabbitmq-server"
  "docker-compose:docker-compose"
  "/usr/sbin/haproxy:haproxy"
)

export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null; then SUDO="sudo -n"; fi
fi

fail() {
  echo "scripts/test-env.sh: $*" >&2
  exit 1
}

present() {
  case "$1" in
    /*) [ -e "$1" ] ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_port() { # port name seconds
  for _ in $(seq 1 $(($3 * 10))); do
    port_open "$1" && return 0
    sleep 0.1
  done
  fail "$2 did not open port $1 within $3 s"
}

missing=()
for entry in "${PACKAGES[@]}"; do
  present "${entry%%:*}" || missing+=("${entry##*:}")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "scripts/test-env.sh: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq >/dev/null || fail "apt-get update failed (root or sudo needed to install ${missing[*]})"
  $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null || fail "apt-get install ${missing[*]} failed"
  for entry in "${PACKAGES[@]}"; do
    present "${entry%%:*}" || fail "${entry%%:*} still missing after installing ${entry##*:}"
  done
fi

# Redis: required. Started in the background with no persistence, as a throwaway test server.
if ! port_open 6379; then
  echo "scripts/test-env.sh: starting redis-server on 127.0.0.1:6379" >&2
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null || fail "redis-server would not start"
  wait_port 6379 Redis 10
fi

# PostgreSQL: required. Debian's cluster (made if the package left none), trust auth for local TCP, the database
# `test`, started without systemd (containers have none).
if ! port_open 5432; then
  version="$(ls /usr/lib/postgresql | sort -V | tail -1)"
  [ -n "$version" ] || fail "PostgreSQL is not installed"
  [ -d "/etc/postgresql/$version/main" ] || $SUDO pg_createcluster "$version" main >/dev/null || fail "pg_createcluster $version main failed"
  $SUDO sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' "/etc/postgresql/$version/main/pg_hba.conf"
  echo "scripts/test-env.sh: starting PostgreSQL ${version}" >&2
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" main start || fail "PostgreSQL ${version} would not start"
  wait_port 5432 PostgreSQL 30
fi
if ! psql -h 127.0.0.1 -U postgres -d test -tAc 'SELECT 1' >/dev/null 2>&1; then
  $SUDO su postgres -c "createdb test" >/dev/null 2>&1 || true
  psql -h 127.0.0.1 -U postgres -d test -tAc 'SELECT 1' >/dev/null 2>&1 || fail "PostgreSQL on 127.0.0.1:5432 does not let postgres into the database test (trust auth needed)"
fi

# RabbitMQ: slow to boot (Erlang), hence the long wait.
if ! port_open 5672 && command -v rabbitmq-server >/dev/null; then
  echo "scripts/test-env.sh: starting RabbitMQ" >&2
  $SUDO rabbitmq-server -detached >/dev/null 2>&1 || fail "rabbitmq-server would not start"
  wait_port 5672 RabbitMQ 60
fi
