#!/usr/bin/env bash
# Single-node Elasticsearch 9 for local development and CI, run from Maven Central jars
# with plain `java` and the project's own launcher (no Docker, no Elastic tarball).
#
#   scripts/infra/elasticsearch.sh up       start (idempotent); waits for cluster health yellow/green
#   scripts/infra/elasticsearch.sh down     stop the node this script started (pid file)
#   scripts/infra/elasticsearch.sh status   exit 0 if running, 3 if stopped
#
# Environment:
#   XSAGA_INFRA_DIR               work dir root (default: <repo>/.infra); ES uses ./elasticsearch in it
#   XSAGA_ES_WORK                 a second, private node's own directory (data, logs, pid, tmp, home/config);
#                                 the jars, the launcher and transport-netty4 stay shared under
#                                 $XSAGA_INFRA_DIR/elasticsearch (default: that directory, the shared node)
#   XSAGA_ES_PORT                 HTTP port on 127.0.0.1 (default 9200)
#   XSAGA_ES_TRANSPORT_PORT       transport port (range) on 127.0.0.1 (default 9300-9399)
#   XSAGA_ES_HEAP                 JVM heap, -Xms = -Xmx (default 512m; keep <= 1g)
#   XSAGA_ES_JAVA_HOME            JDK 21+ to use (default: JAVA_HOME if 21+, else a JDK 21+ in /usr/lib/jvm)
#   XSAGA_ES_START_TIMEOUT        seconds `up` waits for health (default 120)
#
# What this node lacks (Central serves only the server and transport-netty4): GET / and
# HEAD / (client.info()/ping()), painless scripts, analysis-common analyzers/filters,
# mapper-extras types, _update_by_query/_delete_by_query/_reindex, x-pack (data streams,
# security, ILM), native zstd (index.codec=best_compression breaks the shard).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
SRC_DIR="$SCRIPT_DIR/elasticsearch"
POM="$SRC_DIR/pom.xml"
MAIN_CLASS="xsaga.infra.elasticsearch.LocalNode"

# Resolved, so that a linked work dir (several checkouts sharing one node) names the node's own files.
INFRA_ROOT="$(realpath -m "${XSAGA_INFRA_DIR:-$REPO_ROOT/.infra}")"
mkdir -p "$INFRA_ROOT"
# What every node shares (resolved once, read-only once resolved) and what each node owns.
SHARED="$(cd "$INFRA_ROOT" && pwd)/elasticsearch"
LIB="$SHARED/lib"
CLASSES="$SHARED/classes"
NETTY_MODULE="$SHARED/home/modules/transport-netty4"
if [[ -n "${XSAGA_ES_WORK:-}" ]]; then
  WORK="$(realpath -m "$XSAGA_ES_WORK")"
else
  WORK="$SHARED"
fi
ES_HOME="$WORK/home"
DATA="$WORK/data"
LOGS="$WORK/logs"
LOGFILE="$LOGS/elasticsearch.log"
PIDFILE="$WORK/elasticsearch.pid"

HOST=127.0.0.1
PORT="${XSAGA_ES_PORT:-9200}"
TRANSPORT_PORT="${XSAGA_ES_TRANSPORT_PORT:-9300-9399}"
HEAP="${XSAGA_ES_HEAP:-512m}"
START_TIMEOUT="${XSAGA_ES_START_TIMEOUT:-120}"
STOP_TIMEOUT=30
MIN_JAVA=21 # Elasticsearch 9 requires Java 21+

log() { echo "elasticsearch: $*" >&2; }
die() { echo "elasticsearch: error: $*" >&2; exit 1; }

# Prints the pid from the pid file if that process is alive and is our node
# (a stale pid file may name a reused pid that belongs to someone else).
running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-Dxsaga.es.home=$ES_HOME " || return 1
  echo "$pid"
}

port_open() {
  timeout 2 bash -c ": </dev/tcp/$HOST/$1" 2>/dev/null
}

# Health status word (green/yellow/red) or empty if the node does not answer.
health() {
  curl -s -m 5 "http://$HOST:$PORT/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null |
    sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' || true
}

java_major() { # $1 = JDK home
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9.]*\).*/\1/p' | sed 's/^1\.//; s/\..*//'
}

# Picks a JDK (java + javac) of version >= MIN_JAVA. The machine's default java may be 17,
# so do not trust PATH blindly; an explicit XSAGA_ES_JAVA_HOME must be right or we fail.
find_jdk() {
  local candidates=() c v
  if [[ -n "${XSAGA_ES_JAVA_HOME:-}" ]]; then
    candidates=("$XSAGA_ES_JAVA_HOME")
  else
    [[ -n "${JAVA_HOME:-}" ]] && candidates+=("$JAVA_HOME")
    candidates+=(/usr/lib/jvm/temurin-25-jdk-amd64)
    for c in /usr/lib/jvm/*; do candidates+=("$c"); done
    if command -v java >/dev/null 2>&1; then
      candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
    fi
  fi
  for c in "${candidates[@]}"; do
    [[ -x "$c/bin/java" && -x "$c/bin/javac" ]] || continue
    v="$(java_major "$c")"
    [[ "$v" =~ ^[0-9]+$ ]] && ((v >= MIN_JAVA)) && { echo "$c"; return 0; }
  done
  return 1
}

require_tools() {
  command -v curl >/dev/null 2>&1 || die "curl not found (needed for the health check): apt-get install -y curl"
  command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once to fetch the jars from Maven Central): apt-get install -y maven"
  if ! JDK="$(find_jdk)"; then
    if [[ -n "${XSAGA_ES_JAVA_HOME:-}" ]]; then
      die "XSAGA_ES_JAVA_HOME=$XSAGA_ES_JAVA_HOME is not a JDK $MIN_JAVA+ (needs bin/java and bin/javac)"
    fi
    die "no JDK $MIN_JAVA+ found (Elasticsearch 9 needs Java $MIN_JAVA+; default java here may be 17). Install one (e.g. /usr/lib/jvm/temurin-25-jdk-amd64) or set XSAGA_ES_JAVA_HOME"
  fi
}

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# Copies the server jars to lib/ and the transport-netty4 module to home/modules/, only when
# the pom changed or the jars are missing: a warm `up` never starts Maven.
resolve_jars() {
  local stamp
  stamp="$(stamp_of "$POM")"
  if [[ -f "$SHARED/.deps-stamp" && "$(cat "$SHARED/.deps-stamp")" == "$stamp" ]] &&
    compgen -G "$LIB/elasticsearch-[0-9]*.jar" >/dev/null &&
    compgen -G "$NETTY_MODULE/transport-netty4-*.jar" >/dev/null; then
    return 0
  fi
  log "resolving jars from Maven Central (first run or pom changed)..."
  rm -rf "$LIB" "$NETTY_MODULE" "$SHARED/.deps-stamp" "$SHARED/.build-stamp"
  mkdir -p "$LOGS"
  if ! mvn -B -q -f "$POM" -Des.work="$SHARED" \
    dependency:copy-dependencies@server-lib dependency:copy-dependencies@netty4-module \
    >"$LOGS/maven.log" 2>&1; then
    tail -n 40 "$LOGS/maven.log" >&2
    die "maven could not resolve the Elasticsearch jars (full log: $LOGS/maven.log)"
  fi
  echo "$stamp" >"$SHARED/.deps-stamp"
}

# Compiles the launcher with plain javac (no compiler plugin downloads); rebuilt when its
# sources, the pom or the JDK change.
build_launcher() {
  local sources stamp
  mapfile -t sources < <(find "$SRC_DIR/src/main/java" -name '*.java' | sort)
  stamp="$(stamp_of "$POM" "${sources[@]}")-$(java_major "$JDK")"
  if [[ -f "$SHARED/.build-stamp" && "$(cat "$SHARED/.build-stamp")" == "$stamp" && -d "$CLASSES" ]]; then
    return 0
  fi
  log "compiling launcher..."
  rm -rf "$CLASSES"
  mkdir -p "$CLASSES"
  "$JDK/bin/javac" -nowarn --release "$MIN_JAVA" -encoding UTF-8 -cp "$LIB/*" -d "$CLASSES" "${sources[@]}" ||
    die "launcher compilation failed"
  echo "$stamp" >"$SHARED/.build-stamp"
}

# A private node's home: its own config and module descriptor (the launcher writes one), the
# module's jars linked from the shared home.
link_private_home() {
  [[ "$WORK" == "$SHARED" ]] && return 0
  local module="$ES_HOME/modules/transport-netty4" jar
  rm -rf "$module"
  mkdir -p "$module"
  for jar in "$NETTY_MODULE"/*.jar; do ln -s "$jar" "$module/"; done
}

# Resolving and compiling write the shared files: one node at a time, whichever node it is for.
prepare_shared() {
  exec 8>"$SHARED/.prepare-lock"
  flock -w $((START_TIMEOUT + 60)) 8 || die "could not lock $SHARED/.prepare-lock"
  resolve_jars
  build_launcher
  exec 8>&-
}

# jvm.options: one option per line; only ${XSAGA_ES_WORK} and ${XSAGA_ES_HEAP} are expanded.
read_jvm_options() {
  local line
  JVM_OPTS=()
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line%%$'\r'}"
    [[ -z "${line// /}" || "$line" == \#* ]] && continue
    line="${line//'${XSAGA_ES_WORK}'/$WORK}"
    line="${line//'${XSAGA_ES_HEAP}'/$HEAP}"
    JVM_OPTS+=("$line")
  done <"$SRC_DIR/config/jvm.options"
}

wait_healthy() { # $1 = pid
  local deadline=$((SECONDS + START_TIMEOUT)) h
  while ((SECONDS < deadline)); do
    if ! kill -0 "$1" 2>/dev/null; then
      tail -n 60 "$LOGFILE" >&2 || true
      rm -f "$PIDFILE"
      die "node exited during startup (log: $LOGFILE)"
    fi
    h="$(health)"
    if [[ "$h" == green || "$h" == yellow ]]; then
      return 0
    fi
    sleep 1
  done
  return 1
}

cmd_up() {
  local pid t0=$SECONDS
  if pid="$(running_pid)"; then
    wait_healthy "$pid" || die "node (pid $pid) running but not healthy after ${START_TIMEOUT}s (log: $LOGFILE)"
    log "already running (pid $pid) on http://$HOST:$PORT, health $(health)"
    return 0
  fi
  rm -f "$PIDFILE"
  # Never mistake another server for ours, and fail clearly instead of a bind error in the log.
  port_open "$PORT" && die "port $PORT on $HOST is already in use by another process; set XSAGA_ES_PORT"

  require_tools
  mkdir -p "$SHARED" "$WORK" "$LOGS" "$DATA" "$WORK/tmp" "$ES_HOME/config"
  prepare_shared
  link_private_home
  # config is copied on every start so edits in the repo take effect
  cp "$SRC_DIR/config/elasticsearch.yml" "$SRC_DIR/config/log4j2.properties" "$ES_HOME/config/"
  read_jvm_options

  # keep the log from growing without bound across many runs
  if [[ -f "$LOGFILE" ]] && (($(stat -c %s "$LOGFILE") > 20 * 1024 * 1024)); then
    mv -f "$LOGFILE" "$LOGFILE.1"
  fi
  echo "=== up $(date -u +%FT%TZ) port=$PORT java=$JDK" >>"$LOGFILE"

  log "starting on http://$HOST:$PORT (work dir $WORK, java $(java_major "$JDK"), heap $HEAP)"
  # elasticsearch.yml reads these with ${...} substitution
  XSAGA_ES_WORK="$WORK" XSAGA_ES_PORT="$PORT" XSAGA_ES_TRANSPORT_PORT="$TRANSPORT_PORT" \
    nohup "$JDK/bin/java" "${JVM_OPTS[@]}" \
    -Des.path.home="$ES_HOME" -Dxsaga.es.home="$ES_HOME" \
    -cp "$CLASSES:$LIB/*" "$MAIN_CLASS" >>"$LOGFILE" 2>&1 </dev/null 9>&- &  # 9>&-: do not inherit the lock
  pid=$!
  echo "$pid" >"$PIDFILE"

  if ! wait_healthy "$pid"; then
    local h
    h="$(health)"
    if [[ -n "$h" ]]; then
      # HTTP answers but the cluster is red (e.g. a broken index left in data/): keep the node
      # up so the index can be inspected or deleted through the API.
      curl -s -m 5 "http://$HOST:$PORT/_cat/indices?health=red&v" >&2 || true
      die "node running (pid $pid) but cluster health is '$h' after ${START_TIMEOUT}s; delete or fix the red indices above, or run down (log: $LOGFILE)"
    fi
    tail -n 40 "$LOGFILE" >&2 || true
    log "no HTTP answer after ${START_TIMEOUT}s; stopping it"
    cmd_down || true
    die "startup timed out (log: $LOGFILE)"
  fi
  log "up (pid $pid) in $((SECONDS - t0))s, health $(health)"
}

cmd_down() {
  local pid deadline
  if ! pid="$(running_pid)"; then
    rm -f "$PIDFILE"
    log "not running"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + STOP_TIMEOUT))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.5; done
  if kill -0 "$pid" 2>/dev/null; then
    log "still running after ${STOP_TIMEOUT}s; sending SIGKILL to $pid"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$PIDFILE"
  log "stopped (pid $pid)"
}

cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    echo "running (pid $pid) http://$HOST:$PORT health=$(health || true)"
    return 0
  fi
  echo "stopped"
  return 3
}

# Serialize up/down (e.g. parallel test setups) so two nodes never race for one work dir.
with_lock() {
  mkdir -p "$WORK"
  exec 9>"$WORK/.lock"
  flock -w $((START_TIMEOUT + STOP_TIMEOUT + 60)) 9 || die "could not lock $WORK/.lock"
  "$@"
}

case "${1:-}" in
  up) with_lock cmd_up ;;
  down) with_lock cmd_down ;;
  status) cmd_status ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
