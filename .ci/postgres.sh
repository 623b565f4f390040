# Sourced by .ci/run and scripts/test: start_postgres starts a private
# PostgreSQL on 127.0.0.1 (free port, temp data dir, trust auth for the
# local test user) and exports SWITCHBOARD_TEST_POSTGRES; stop_postgres
# stops it and removes the data.

start_postgres() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  PG_DIR=$(mktemp -d /tmp/switchboard-pg.XXXXXX)
  PG_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55432)
  local run=()
  if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$PG_DIR" postgres
    chown postgres "$PG_DIR"
    run=(runuser -u postgres --)
  fi
  "${run[@]}" "$bin/initdb" -D "$PG_DIR/data" -U switchboard --auth=trust -E UTF8 >/dev/null
  "${run[@]}" "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR -c fsync=off -c max_connections=300" start >/dev/null
  "${run[@]}" "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U switchboard switchboard_test
  export SWITCHBOARD_TEST_POSTGRES="postgres://switchboard@127.0.0.1:$PG_PORT/switchboard_test?sslmode=disable"
  PG_BIN=$bin
  PG_RUN=("${run[@]}")
  echo "PostgreSQL on 127.0.0.1:$PG_PORT (SWITCHBOARD_TEST_POSTGRES set)"
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
