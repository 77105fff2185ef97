# Sourced by .ci/run and .ci/store.sh: installs Debian's postgresql if it is missing, starts a
# throwaway cluster on 127.0.0.1 (trust auth, its own port and data folder, stopped and removed on
# exit), creates a database and exports ZHENGCE_TEST_PG_URL, so every store test (and the kill -9
# crash test) runs on both SQLite and PostgreSQL in the same `cargo test` invocation.
#
#   ZHENGCE_PG_PORT     port for the test cluster (default 55432)
#   ZHENGCE_CRASH_ROWS  roster size of the crash test (default 20000)

if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "store.sh: installing postgresql" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PORT=${ZHENGCE_PG_PORT:-55432}
PGDATA=$(mktemp -d /tmp/zhengce-pg.XXXXXX)

# initdb and postgres refuse to run as root: use the postgres account then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres "$PGDATA"; fi

stop_pg() {
  as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$PGDATA"
}
trap stop_pg EXIT

as_pg "$PGBIN/initdb" -D "$PGDATA" -U postgres -A trust -E UTF8 --no-locale >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -w -l "$PGDATA/server.log" \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$PGDATA -c fsync=on -c synchronous_commit=on" start
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres zhengce_test

export ZHENGCE_TEST_PG_URL="postgres://postgres@127.0.0.1:$PORT/zhengce_test"
export ZHENGCE_CRASH_ROWS=${ZHENGCE_CRASH_ROWS:-20000}
echo "store.sh: PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT; crash test with $ZHENGCE_CRASH_ROWS rows" >&2
