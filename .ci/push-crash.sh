#!/usr/bin/env bash
# kill -9 crash test of batch push (issue 10): a demo roster, a webhook receiver on 127.0.0.1, and
# `zhengce push` processes killed with SIGKILL at random moments (at least PUSH_CRASH_KILLS times)
# and restarted; then every queued key must have reached the receiver (lost = 0, unexpected = 0),
# each applied once (raw duplicate deliveries are counted and printed), the outbox empty and a
# further run must queue nothing. Runs on SQLite (one worker), then on a throwaway PostgreSQL
# (.ci/postgres.sh) with two workers. The harness is crates/zhengce-push/src/bin/push_crash.rs.
#
#   PUSH_CRASH_KILLS        kills per backend (default 20)
#   PUSH_CRASH_ENTERPRISES  roster size (default 400: about 14,000 notifications in 400 digests)
set -euo pipefail
cd "$(dirname "$0")/.."
KILLS=${PUSH_CRASH_KILLS:-20}
ENTERPRISES=${PUSH_CRASH_ENTERPRISES:-400}
cargo build --quiet --locked -p zhengce -p zhengce-push --bins
BIN=${CARGO_TARGET_DIR:-target}/debug
WORK=$(mktemp -d /tmp/zhengce-push-crash.XXXXXX)

echo "push-crash: SQLite, 1 worker, $KILLS kills" >&2
timeout 900 "$BIN/zhengce-push-crash" --zhengce "$BIN/zhengce" --db "$WORK/sqlite/push.db" --work "$WORK/sqlite" \
  --enterprises "$ENTERPRISES" --kills "$KILLS" --workers 1

# Reuse the PostgreSQL that .ci/run started, or start a throwaway one.
if [ -z "${ZHENGCE_TEST_PG_URL:-}" ]; then
  . .ci/postgres.sh
fi
PSQL=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
DBNAME="push_crash_$$"
"$PSQL" "$ZHENGCE_TEST_PG_URL" -q -c "CREATE DATABASE $DBNAME"
PGURL="${ZHENGCE_TEST_PG_URL%/*}/$DBNAME"
echo "push-crash: PostgreSQL, 2 workers, $KILLS kills" >&2
timeout 900 "$BIN/zhengce-push-crash" --zhengce "$BIN/zhengce" --db "$PGURL" --work "$WORK/pg" \
  --enterprises "$ENTERPRISES" --kills "$KILLS" --workers 2
rm -rf "$WORK"
