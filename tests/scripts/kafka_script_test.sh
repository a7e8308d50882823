#!/usr/bin/env bash
# scripts/kafka is idempotent and leaves nothing behind: start twice runs one broker,
# status reports it, stop ends exactly that process. Uses its own port and data
# directory so that it never touches the broker the rest of `make test` runs against.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export KAFKA_PORT="${KAFKA_SCRIPT_TEST_PORT:-29192}"
export KAFKA_DATA_DIR="$(mktemp -d)/kafka"
kafka="$repo_root/scripts/kafka"
failures=0
passes=0

cleanup() {
    "$kafka" stop >/dev/null 2>&1 || true
    rm -rf "$(dirname "$KAFKA_DATA_DIR")"
}
trap cleanup EXIT

check() { # check DESCRIPTION COMMAND...
    local what="$1"
    shift
    if "$@"; then
        echo "ok: $what"
        passes=$((passes + 1))
    else
        echo "FAILED: $what"
        failures=$((failures + 1))
    fi
}

brokers_for_dir() { # how many JVMs run a broker with this data directory
    local n=0 pid
    for pid in $(pgrep -f "kafka.Kafka $KAFKA_DATA_DIR/server.properties" || true); do
        n=$((n + 1))
    done
    echo "$n"
}

"$kafka" start
first_pid="$(cat "$KAFKA_DATA_DIR/kafka.pid")"
second_output="$("$kafka" start)"
second_pid="$(cat "$KAFKA_DATA_DIR/kafka.pid")"

check "second start reports the running broker" grep -q "already running (pid $first_pid)" <<<"$second_output"
check "second start keeps the same pid" test "$first_pid" = "$second_pid"
check "exactly one broker process runs" test "$(brokers_for_dir)" = 1
check "status succeeds while running" "$kafka" status
check "the broker answers metadata requests" python3 "$repo_root/scripts/kafka-probe.py" 127.0.0.1 "$KAFKA_PORT"

"$kafka" stop
check "stop leaves no broker process" test "$(brokers_for_dir)" = 0
check "the stopped pid is gone" bash -c "! kill -0 $first_pid 2>/dev/null"
check "stop removes the pid file" test ! -e "$KAFKA_DATA_DIR/kafka.pid"
status_rc=0
"$kafka" status >/dev/null || status_rc=$?
check "status says not running (exit 3)" test "$status_rc" = 3
check "a second stop is harmless" "$kafka" stop

echo "kafka script: $passes passed, $failures failed"
exit $((failures > 0))
