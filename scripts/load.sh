#!/usr/bin/env bash
# Load test of the hot paths on loopback: starts Switchboard on a throw-away
# embedded database (or --database URL via SWITCHBOARD_DATABASE), seeds a
# tenant, a domain and accounts, then drives each hot path with wrk for a
# bounded time. Usage: scripts/load.sh [seconds per path, default 10]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "needs wrk: apt-get install -y wrk" >&2; exit 1; }

dir=$(mktemp -d /tmp/switchboard-load.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
api=http://127.0.0.1:$port
go build -o "$dir/switchboard" ./cmd/switchboard
echo 'load-test-password' | "$dir/switchboard" tenant create loadtest --password-stdin --data "$dir" >/dev/null
"$dir/switchboard" serve --data "$dir" --listen 127.0.0.1:$port --log-level error &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do curl -sf $api/healthz >/dev/null && break; sleep 0.1; done

token=$(curl -sf -X POST -F username=loadtest -F password=load-test-password $api/auth | sed 's/.*"token":"\([^"]*\)".*/\1/')
curl -sf -X POST -H "Auth-token: $token" -F domain=load.example -F username=postmaster@load.example -F password=load-test-password $api/domains >/dev/null
for i in $(seq 1 200); do
  curl -sf -X POST -H "Auth-token: $token" -F email=user$i@load.example -F password=load-test-password $api/user/1 >/dev/null
done

run() { echo "== $1"; shift; wrk -t2 -c16 -d"${secs}s" --latency "$@" | grep -E 'Requests/sec|Latency|50%|99%|Non-2xx'; }
run "GET /healthz (floor)" $api/healthz
run "GET /domains (token auth + list)" -H "Auth-token: $token" $api/domains
run "GET /users/1?limit=100 (first page)" -H "Auth-token: $token" "$api/users/1?limit=100"
cat > "$dir/rpc.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":1,"method":"domain.list","params":{"account":"loadtest"}}'
wrk.headers["Content-Type"] = "application/json"
LUA
session=$(curl -sf -X POST -d '{"jsonrpc":"2.0","id":1,"method":"auth","params":{"user":"loadtest","pass":"load-test-password"}}' $api/v1/ | sed 's/.*"session":"\([^"]*\)".*/\1/')
run "POST /v1/ domain.list (JSON-RPC session)" -s "$dir/rpc.lua" -H "HPLS-AUTH: $session" $api/v1/
