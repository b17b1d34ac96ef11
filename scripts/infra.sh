#!/usr/bin/env bash
# Starts, checks and stops the servers the tests and production mode talk to, all on 127.0.0.1.
#
#   scripts/infra.sh up [service...]      start what is not running and wait until it answers
#   scripts/infra.sh down [service...]    stop only what these scripts started
#   scripts/infra.sh status [service...]  exit 0 if all are running, 3 otherwise
#
# Services: postgres, redis (the machine's own servers; started with the distribution's
# commands if they stopped), kafka, elasticsearch (from Maven Central jars, see scripts/infra/).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ALL=(postgres redis kafka elasticsearch)

port_open() { timeout 2 bash -c ": </dev/tcp/127.0.0.1/$1" 2>/dev/null; }

wait_port() {
  local name=$1 port=$2
  for _ in $(seq 1 60); do
    port_open "$port" && return 0
    sleep 1
  done
  echo "$name: error: nothing answers on 127.0.0.1:$port" >&2
  return 1
}

postgres() {
  case $1 in
    up)
      port_open 5432 && return 0
      command -v pg_ctlcluster >/dev/null || { echo "postgres: error: not running and pg_ctlcluster is missing (install PostgreSQL)" >&2; return 1; }
      echo "postgres: starting the machine's cluster" >&2
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start
      wait_port postgres 5432 ;;
    down) ;; # the machine's own server: never stopped by us
    status) port_open 5432 && echo "postgres: running" || { echo "postgres: stopped"; return 3; } ;;
  esac
}

redis() {
  case $1 in
    up)
      port_open 6379 && return 0
      command -v redis-server >/dev/null || { echo "redis: error: not running and redis-server is missing (install Redis)" >&2; return 1; }
      echo "redis: starting the machine's server" >&2
      mkdir -p /var/lib/redis /var/log/redis
      redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
      wait_port redis 6379 ;;
    down) ;;
    status) port_open 6379 && echo "redis: running" || { echo "redis: stopped"; return 3; } ;;
  esac
}

kafka() { "$SCRIPT_DIR/infra/kafka.sh" "$1"; }
elasticsearch() { "$SCRIPT_DIR/infra/elasticsearch.sh" "$1"; }

command=${1:-}
shift || true
case $command in
  up | down | status) ;;
  *) echo "usage: $0 up|down|status [${ALL[*]}]" >&2; exit 2 ;;
esac
services=("$@")
[[ ${#services[@]} -gt 0 ]] || services=("${ALL[@]}")

rc=0
for service in "${services[@]}"; do
  case $service in
    postgres | redis | kafka | elasticsearch) "$service" "$command" || rc=$? ;;
    *) echo "unknown service: $service" >&2; exit 2 ;;
  esac
  # Stop at the first service that fails to come up: the tests would fail anyway, and say less.
  if [[ $command == up && $rc -ne 0 ]]; then exit $rc; fi
done
exit $rc
