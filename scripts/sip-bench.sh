#!/usr/bin/env bash
# REGISTER/s with Digest through Kamailio on loopback, sipp as the client:
# Kamailio reading Switchboard's sip_subscribers view and keeping usrloc's
# location table in Switchboard's database (switchboard sipconfig), beside
# the same Kamailio on its own stock subscriber/location tables (kamdbctl's
# schema from /usr/share/kamailio/db_sqlite), in the same run. Each setup
# gets --calls registrations (REGISTER, 401, REGISTER with the answer, 200)
# over --accounts accounts; a table gives registers/s and the ratio to stock.
#
# Usage: scripts/sip-bench.sh [--calls N] [--accounts N] [--concurrency N]
#          [--children N] [--database postgres://...] [--stock-only]
#   --database  also measure Switchboard on this PostgreSQL database (a
#               scratch one: a tenant and a domain are made in it, the domain
#               is deleted at the end); SQLite is always measured.
#   --stock-only  only the stock setup (until switchboard sipconfig exists).
#   --children  UDP workers of the stock Kamailio (default 1): db_sqlite sets
#               no busy timeout, so on SQLite a second worker's write fails at
#               once with "database is locked" (500) while another holds the
#               lock; the generated configuration sets its own.
# Needs kamailio 5.6 with kamailio-sqlite-modules (and -postgres-modules),
# sipp, sqlite3 and go. Bounded: every sipp run stops after --calls calls.
set -euo pipefail
cd "$(dirname "$0")/.."

calls=5000 accounts=100 concurrency=10 children=1 database="" stock_only=""
while [ $# -gt 0 ]; do
  case $1 in
    --calls) calls=$2; shift 2 ;;
    --accounts) accounts=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --children) children=$2; shift 2 ;;
    --database) database=$2; shift 2 ;;
    --stock-only) stock_only=1; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "sip-bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
for c in kamailio sipp sqlite3 md5sum python3; do
  command -v $c >/dev/null || { echo "sip-bench: needs $c (apt-get install -y kamailio kamailio-sqlite-modules sip-tester sqlite3)" >&2; exit 1; }
done
kamschema=/usr/share/kamailio/db_sqlite
modules=${KAMAILIO_MODULES:-/usr/lib/x86_64-linux-gnu/kamailio/modules}
[ -f $kamschema/auth_db-create.sql ] || { echo "sip-bench: no $kamschema (apt-get install -y kamailio-sqlite-modules)" >&2; exit 1; }

work=$(mktemp -d /tmp/sip-bench.XXXXXX)
kpid="" klog=""
cleanup() {
  if [ -n "$kpid" ]; then kill "$kpid" 2>/dev/null || true; wait "$kpid" 2>/dev/null || true; fi
  [ -n "${SIP_BENCH_KEEP:-}" ] && echo "sip-bench: kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT

domain=bench.test
password=bench-password
freeport() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The accounts sipp registers, one a line (see scripts/sip-bench/register.xml).
{
  echo SEQUENTIAL
  for i in $(seq 1 "$accounts"); do echo "bench$i;[authentication username=bench$i password=$password];$domain"; done
} >"$work/users.csv"

# start_kamailio CFG PORT LOG: runs Kamailio in the foreground of a
# background job and waits until it answers on PORT.
start_kamailio() {
  klog=$3
  kamailio -f "$1" -DD -E -m 128 -M 16 -Y "$work" -P "$work/kamailio.pid" >"$3" 2>&1 &
  kpid=$!
  for _ in $(seq 20); do
    if ! kill -0 "$kpid" 2>/dev/null; then echo "sip-bench: kamailio did not start:" >&2; tail -20 "$3" >&2; exit 1; fi
    if sipp 127.0.0.1:"$2" -sf "$work/options.xml" -m 1 -timeout 1 -timeout_error -nostdin -i 127.0.0.1 -p "$(freeport)" \
        >"$work/ping.log" 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "sip-bench: kamailio does not answer on 127.0.0.1:$2" >&2; tail -20 "$3" >&2; exit 1
}
stop_kamailio() { kill "$kpid" 2>/dev/null || true; wait "$kpid" 2>/dev/null || true; kpid=""; }

# An OPTIONS probe: any answer means Kamailio is up.
cat >"$work/options.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="ping">
  <send><![CDATA[
      OPTIONS sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      Max-Forwards: 70
      From: <sip:ping@[local_ip]>;tag=[call_number]
      To: <sip:[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 OPTIONS
      Content-Length: 0

  ]]></send>
  <recv response="200" optional="true" next="1"/>
  <recv response="405" optional="true" next="1"/>
  <recv response="404" next="1"/>
  <label id="1"/>
</scenario>
XML

# measure NAME PORT: --calls registrations at --concurrency at a time;
# prints "NAME registers/s" into results, or fails with sipp's errors.
results=()
measure() {
  local name=$1 port=$2 stat="$work/stat-$RANDOM.csv" start end ok failed
  start=$(date +%s.%N)
  sipp 127.0.0.1:"$port" -sf scripts/sip-bench/register.xml -inf "$work/users.csv" -i 127.0.0.1 -p "$(freeport)" \
    -m "$calls" -l "$concurrency" -r 100000 -rp 1000 -nostdin -timeout 300 -recv_timeout 5000 -trace_stat -stf "$stat" -fd 3600 \
    >"$work/sipp.log" 2>&1 || true
  end=$(date +%s.%N)
  if [ ! -s "$stat" ]; then echo "sip-bench: $name: sipp did not run:" >&2; tail -5 "$work/sipp.log" >&2; exit 1; fi
  # the last line of the statistics: SuccessfulCall(C) and FailedCall(C)
  ok=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++){if($i=="SuccessfulCall(C)")s=i;if($i=="FailedCall(C)")f=i}} END{print $s}' "$stat")
  failed=$(awk -F';' 'NR==1{for(i=1;i<=NF;i++){if($i=="FailedCall(C)")f=i}} END{print $f}' "$stat")
  if [ "${ok:-0}" -eq 0 ] || [ "${failed:-0}" -gt 0 ]; then
    echo "sip-bench: $name: $ok registrations succeeded, $failed failed; kamailio said:" >&2
    grep -v '^ *$' "$klog" | tail -5 >&2
    echo "sip-bench: sipp said:" >&2
    grep -v '^ *$' "$work/sipp.log" | tail -5 >&2
  fi
  results+=("$name;$(awk -v n="$ok" -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", n/(b-a)}');$ok;$failed")
}

# --- Stock: Kamailio's own subscriber and location tables, kamdbctl-style.
stockdb="$work/stock.db"
cat $kamschema/standard-create.sql $kamschema/auth_db-create.sql $kamschema/usrloc-create.sql | sqlite3 "$stockdb"
sqlite3 "$stockdb" 'PRAGMA journal_mode=WAL;' >/dev/null # as Switchboard's database
{
  echo "BEGIN;"
  for i in $(seq 1 "$accounts"); do
    ha1=$(printf '%s' "bench$i:$domain:$password" | md5sum | cut -d' ' -f1)
    echo "INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES ('bench$i', '$domain', '', '$ha1', '');"
  done
  echo "COMMIT;"
} | sqlite3 "$stockdb"

stockport=$(freeport)
cat >"$work/stock.cfg" <<CFG
#!KAMAILIO
# The stock setup: the same modules and settings as switchboard sipconfig's
# configuration, on Kamailio's own subscriber and location tables.
#!define DBURL "sqlite://$stockdb"
debug=1
log_stderror=yes
children=$children
listen=udp:127.0.0.1:$stockport
alias="$domain"
auto_aliases=no
mpath="$modules/"
loadmodule "db_sqlite.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
modparam("usrloc", "db_url", DBURL)
modparam("usrloc", "db_mode", 3)
modparam("usrloc", "use_domain", 1)
modparam("registrar", "use_path", 0)
modparam("auth_db", "db_url", DBURL)
modparam("auth_db", "calculate_ha1", 0)
modparam("auth_db", "password_column", "ha1")
modparam("auth_db", "user_column", "username")
modparam("auth_db", "domain_column", "domain")
modparam("auth_db", "use_domain", 1)
modparam("auth_db", "load_credentials", "")
request_route {
	if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
	if (is_method("OPTIONS") && uri == myself && \$rU == \$null) { sl_send_reply("200", "OK"); exit; }
	if (!is_method("REGISTER")) { sl_send_reply("405", "Method Not Allowed"); exit; }
	if (!auth_check("\$fd", "subscriber", "1")) { auth_challenge("\$fd", "1"); exit; }
	consume_credentials();
	if (!save("location")) { sl_reply_error(); }
	exit;
}
CFG
start_kamailio "$work/stock.cfg" "$stockport" "$work/stock.log"
measure "stock subscriber/location (SQLite)" "$stockport"
stop_kamailio
bindings=$(sqlite3 "$stockdb" 'SELECT count(*) FROM location;')
[ "$bindings" -eq "$accounts" ] || echo "sip-bench: stock: $bindings bindings in location, want $accounts" >&2

# --- Switchboard: the generated configuration on Switchboard's database.
switchboard_side() {
  local name=$1 dbflag=$2 dir="$work/sb-$RANDOM" port
  mkdir -p "$dir/kamailio"
  # shellcheck disable=SC2086 # dbflag is "" or "--database URL"
  sb() { "$work/switchboard" "$@" --data "$dir" $dbflag; }
  sb migrate >/dev/null
  sb domain delete "$domain" >/dev/null 2>&1 || true # left by an interrupted run on --database
  local tenant="sipbench$RANDOM"
  echo "$password" | sb tenant create "$tenant" --password-stdin >/dev/null
  sb domain create "$domain" --tenant "$tenant" >/dev/null
  for i in $(seq 1 "$accounts"); do
    echo "$password" | sb account create "bench$i@$domain" --password-stdin --algorithm MD5 >/dev/null
  done
  port=$(freeport)
  sb sipconfig --kamailio "$dir/kamailio" --algorithm MD5 --listen 127.0.0.1:"$port"
  start_kamailio "$dir/kamailio/kamailio.cfg" "$port" "$dir/kamailio.log"
  measure "$name" "$port"
  stop_kamailio
  if [ -n "$dbflag" ]; then sb domain delete "$domain" >/dev/null || true; fi
}
if [ -z "$stock_only" ]; then
  go build -o "$work/switchboard" ./cmd/switchboard
  if ! "$work/switchboard" sipconfig --help >/dev/null 2>&1; then
    echo "sip-bench: this switchboard has no sipconfig command: measuring the stock setup only" >&2
  else
    switchboard_side "switchboard views (SQLite)" ""
    if [ -n "$database" ]; then switchboard_side "switchboard views (PostgreSQL)" "--database $database"; fi
  fi
fi

stock=$(echo "${results[0]}" | cut -d';' -f2)
printf '%-36s %12s %8s %10s\n' setup registers/s ratio ok/failed
for r in "${results[@]}"; do
  IFS=';' read -r name rate ok failed <<<"$r"
  printf '%-36s %12s %8s %10s\n' "$name" "$rate" "$(awk -v a="$rate" -v b="$stock" 'BEGIN{printf "%.2f", a/b}')" "$ok/$failed"
done
echo "($calls registrations per setup, each REGISTER, 401, REGISTER with Digest MD5, 200, over $accounts accounts,"
echo " $concurrency at a time; stock Kamailio with $children UDP worker(s); loopback)"
