# Starts and stops the real servers the test suites need, in a temporary
# directory, on free loopback ports. Sourced by scripts/test.
#   start_postgres  -> exports MTL_TEST_POSTGRES_URL
#   start_redis     -> exports MTL_TEST_REDIS_URL
#   stop_test_servers (registered as an EXIT trap by scripts/test)

MTL_SERVERS_DIR=""
MTL_PG_USER=meterline-test
MTL_PG_BIN=/usr/lib/postgresql/15/bin

_mtl_free_port() {
  # A port nobody listens on: random in 20000-59999, checked against ss.
  local port
  for _ in $(seq 1 50); do
    port=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
      echo "$port"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

_mtl_servers_dir() {
  if [[ -z "$MTL_SERVERS_DIR" ]]; then
    MTL_SERVERS_DIR=$(mktemp -d /tmp/meterline-test-servers.XXXXXX)
    chmod 755 "$MTL_SERVERS_DIR"
  fi
}

start_postgres() {
  _mtl_servers_dir
  # initdb refuses to run as root: the cluster belongs to an unprivileged system user.
  if [[ $(id -u) -eq 0 ]] && ! id "$MTL_PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$MTL_PG_USER"
  fi
  local dir="$MTL_SERVERS_DIR/postgres" port run_as=()
  mkdir -p "$dir"
  if [[ $(id -u) -eq 0 ]]; then
    chown "$MTL_PG_USER" "$dir"
    run_as=(runuser -u "$MTL_PG_USER" --)
  fi
  "${run_as[@]}" "$MTL_PG_BIN/initdb" --no-sync -A trust -U postgres -E UTF8 --locale=C -D "$dir/data" >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; return 1; }
  for attempt in 1 2 3; do
    port=$(_mtl_free_port)
    # fsync off: a test cluster needs speed, not crash safety.
    if "${run_as[@]}" "$MTL_PG_BIN/pg_ctl" -w -t 30 -D "$dir/data" -l "$dir/server.log" \
         -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
         start >/dev/null; then
      export MTL_TEST_POSTGRES_URL="postgresql://postgres@127.0.0.1:$port/postgres"
      echo "test-servers: PostgreSQL 15 on 127.0.0.1:$port" >&2
      return 0
    fi
    echo "test-servers: PostgreSQL did not start on port $port (attempt $attempt)" >&2
  done
  cat "$dir/server.log" >&2
  return 1
}

start_redis() {
  _mtl_servers_dir
  local dir="$MTL_SERVERS_DIR/redis" port
  mkdir -p "$dir"
  for attempt in 1 2 3; do
    port=$(_mtl_free_port)
    if redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no \
         --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null 2>&1; then
      for _ in $(seq 1 50); do
        if redis-cli -p "$port" ping 2>/dev/null | grep -q PONG; then
          export MTL_TEST_REDIS_URL="redis://127.0.0.1:$port"
          echo "test-servers: Redis on 127.0.0.1:$port" >&2
          return 0
        fi
        sleep 0.1
      done
    fi
    echo "test-servers: Redis did not start on port $port (attempt $attempt)" >&2
  done
  cat "$dir/redis.log" >&2 || true
  return 1
}

stop_test_servers() {
  [[ -n "$MTL_SERVERS_DIR" && -d "$MTL_SERVERS_DIR" ]] || return 0
  if [[ -f "$MTL_SERVERS_DIR/postgres/data/postmaster.pid" ]]; then
    local run_as=()
    [[ $(id -u) -eq 0 ]] && run_as=(runuser -u "$MTL_PG_USER" --)
    "${run_as[@]}" "$MTL_PG_BIN/pg_ctl" -D "$MTL_SERVERS_DIR/postgres/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [[ -f "$MTL_SERVERS_DIR/redis/redis.pid" ]]; then
    kill "$(cat "$MTL_SERVERS_DIR/redis/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$MTL_SERVERS_DIR"
}
