# Starts and stops the real servers the test suites need, in a temporary
# directory, on free loopback ports. Sourced by scripts/test.
#   start_postgres  -> exports MTL_TEST_POSTGRES_URL
#   start_redis     -> exports MTL_TEST_REDIS_URL
#   start_clickhouse -> exports MTL_TEST_CLICKHOUSE_URL (shard 1) and
#                       MTL_TEST_CLICKHOUSE_SHARD_URLS (both shards of the
#                       two-shard cluster "meterline_test")
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

# initdb refuses to run as root, and ClickHouse should not run as root either:
# as root, both servers run as an unprivileged system user.
_mtl_server_user() {
  if [[ $(id -u) -eq 0 ]] && ! id "$MTL_PG_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$MTL_PG_USER"
  fi
}

start_postgres() {
  _mtl_servers_dir
  _mtl_server_user
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
    # fsync off: a test cluster needs speed, not crash safety. Benchmarks set
    # MTL_PG_DURABLE=1 to measure with PostgreSQL's durable defaults.
    local durability="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    [[ "${MTL_PG_DURABLE:-0}" == 1 ]] && durability=""
    if "${run_as[@]}" "$MTL_PG_BIN/pg_ctl" -w -t 30 -D "$dir/data" -l "$dir/server.log" \
         -o "-p $port -k $dir -c listen_addresses=127.0.0.1 $durability -c max_connections=200" \
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

# Writes a minimal clickhouse-server config: loopback only, user "default"
# without password (loopback only), data under $1, the two-shard cluster.
_mtl_clickhouse_config() {
  local dir=$1 http=$2 tcp=$3 shard1_tcp=$4 shard2_tcp=$5
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/error.log</errorlog><size>10M</size><count>1</count></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http</http_port>
  <tcp_port>$tcp</tcp_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <remote_servers>
    <meterline_test>
      <shard><replica><host>127.0.0.1</host><port>$shard1_tcp</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$shard2_tcp</port></replica></shard>
    </meterline_test>
  </remote_servers>
</yandex>
XML
  cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>2000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks><profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
}

start_clickhouse() {
  _mtl_servers_dir
  local attempt
  # Free ports are picked before the servers bind them, so another process can
  # take one in between: retry with new ports.
  for attempt in 1 2 3; do
    if _mtl_start_clickhouse_cluster; then return 0; fi
    echo "test-servers: ClickHouse did not start (attempt $attempt)" >&2
    _mtl_stop_clickhouse
  done
  return 1
}

_mtl_start_clickhouse_cluster() {
  local urls=() http_ports=() tcp_ports=() shard run_as=()
  _mtl_server_user
  [[ $(id -u) -eq 0 ]] && run_as=(runuser -u "$MTL_PG_USER" --)
  for shard in 1 2; do
    http_ports+=("$(_mtl_free_port)")
    tcp_ports+=("$(_mtl_free_port)")
  done
  for shard in 1 2; do
    local dir="$MTL_SERVERS_DIR/clickhouse-$shard" http=${http_ports[$((shard - 1))]}
    rm -rf "$dir"
    _mtl_clickhouse_config "$dir" "$http" "${tcp_ports[$((shard - 1))]}" "${tcp_ports[0]}" "${tcp_ports[1]}"
    if [[ $(id -u) -eq 0 ]]; then chown -R "$MTL_PG_USER" "$dir"; fi
    "${run_as[@]}" /usr/sbin/clickhouse-server --config-file="$dir/config.xml" --pid-file="$dir/server.pid" --daemon \
      >"$dir/launch.log" 2>&1 || { cat "$dir/launch.log" "$dir/error.log" "$dir/stderr.log" >&2 2>/dev/null; return 1; }
    local up=0
    for _ in $(seq 1 150); do
      if [[ $(curl -s "http://127.0.0.1:$http/ping" 2>/dev/null) == "Ok." ]]; then up=1; break; fi
      # A server that failed to bind has exited: stop waiting.
      if [[ -f "$dir/error.log" ]] && grep -q "Address already in use" "$dir/error.log" 2>/dev/null; then break; fi
      sleep 0.1
    done
    if [[ $up -ne 1 ]]; then
      echo "test-servers: ClickHouse shard $shard did not answer on port $http" >&2
      tail -3 "$dir/error.log" >&2 2>/dev/null
      return 1
    fi
    urls+=("http://127.0.0.1:$http")
  done
  export MTL_TEST_CLICKHOUSE_URL="${urls[0]}"
  export MTL_TEST_CLICKHOUSE_SHARD_URLS="${urls[0]},${urls[1]}"
  echo "test-servers: ClickHouse $(curl -s "${urls[0]}/?query=SELECT%20version()") on ${urls[*]} (cluster meterline_test)" >&2
}

_mtl_stop_clickhouse() {
  local pidfile
  for pidfile in "$MTL_SERVERS_DIR"/clickhouse-*/server.pid; do
    [[ -f "$pidfile" ]] && kill -9 "$(cat "$pidfile")" 2>/dev/null || true
  done
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
  _mtl_stop_clickhouse
  rm -rf "$MTL_SERVERS_DIR"
}
