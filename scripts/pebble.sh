#!/usr/bin/env bash
# Let's Encrypt on your machine: starts Pebble (Let's Encrypt's test ACME CA)
# and pebble-challtestsrv (its fake DNS, answering 127.0.0.1 for every name)
# in the background on loopback, with a freshly generated certificate for
# Pebble's HTTPS API, and prints the `switchboard serve` flags that use them
# (only those go to stdout: ACME_FLAGS=$(scripts/pebble.sh)).
#
# Usage: scripts/pebble.sh [start|stop]     (start stops a running one first)
# Environment: PEBBLE_DIR (default /tmp/switchboard-pebble: certificate, config,
# logs, pids), PEBBLE_PORT (ACME API, default 14000), PEBBLE_HTTP01_PORT (where
# Pebble checks HTTP-01 challenges, i.e. serve --acme-http-listen; default
# 5002), and the ports nobody else talks to: PEBBLE_MGMT_PORT (Pebble's
# management API, default PEBBLE_PORT+1000), PEBBLE_TLS_PORT (TLS-ALPN-01
# checks, +1001), PEBBLE_DNS_PORT (the fake DNS, +1053), PEBBLE_DNS_MGMT_PORT
# (its management API, +1055).
set -euo pipefail

dir=${PEBBLE_DIR:-/tmp/switchboard-pebble}
port=${PEBBLE_PORT:-14000}
http01=${PEBBLE_HTTP01_PORT:-5002}
mgmt=${PEBBLE_MGMT_PORT:-$((port + 1000))}
tlsport=${PEBBLE_TLS_PORT:-$((port + 1001))}
dns=127.0.0.1:${PEBBLE_DNS_PORT:-$((port + 1053))}
dnsmgmt=127.0.0.1:${PEBBLE_DNS_MGMT_PORT:-$((port + 1055))}

stop() {
  [ -f "$dir/pids" ] || return 0
  while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$dir/pids"
  rm -f "$dir/pids"
}
case ${1:-start} in
  start) stop ;;
  stop) stop; exit 0 ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac

if ! command -v pebble >/dev/null || ! command -v pebble-challtestsrv >/dev/null; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing Pebble (Debian package pebble)" >&2
  $sudo apt-get install -y -qq pebble >/dev/null
fi
command -v openssl >/dev/null || { echo "needs openssl: apt-get install openssl" >&2; exit 1; }

mkdir -p "$dir"
# Pebble's API certificate, for 127.0.0.1; switchboard trusts it through
# --acme-ca-roots.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 7 \
  -subj "/CN=Pebble test API" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
  -keyout "$dir/api-key.pem" -out "$dir/api-cert.pem" 2>/dev/null
chmod 600 "$dir/api-key.pem"
cat >"$dir/pebble.json" <<JSON
{"pebble": {
  "listenAddress": "127.0.0.1:$port",
  "managementListenAddress": "127.0.0.1:$mgmt",
  "certificate": "$dir/api-cert.pem",
  "privateKey": "$dir/api-key.pem",
  "httpPort": $http01,
  "tlsPort": $tlsport,
  "ocspResponderURL": "",
  "externalAccountBindingRequired": false
}}
JSON

# Both run detached from this script's output, so that $(scripts/pebble.sh)
# returns as soon as Pebble answers.
pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "$dns" \
  -http01 "" -https01 "" -tlsalpn01 "" -management "$dnsmgmt" </dev/null >"$dir/challtestsrv.log" 2>&1 &
echo $! >"$dir/pids"
# No sleep before validations, no bad-nonce rejections: a test CA that answers at once.
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 \
  pebble -config "$dir/pebble.json" -dnsserver "$dns" </dev/null >"$dir/pebble.log" 2>&1 &
echo $! >>"$dir/pids"

up=""
for _ in $(seq 100); do
  if curl -fs --cacert "$dir/api-cert.pem" -o /dev/null "https://127.0.0.1:$port/dir"; then up=1; break; fi
  while read -r pid; do
    kill -0 "$pid" 2>/dev/null || { echo "Pebble did not start:" >&2; cat "$dir"/*.log >&2; stop; exit 1; }
  done <"$dir/pids"
  sleep 0.1
done
[ -n "$up" ] || { echo "Pebble did not answer; see $dir/pebble.log" >&2; stop; exit 1; }

cat >&2 <<MSG
Pebble is running (logs in $dir; stop it with: $0 stop).
Its certificates chain to a root made at its start, new every run:
  curl --cacert $dir/api-cert.pem https://127.0.0.1:$mgmt/roots/0
The serve flags:
MSG
echo "--acme-directory https://127.0.0.1:$port/dir --acme-ca-roots $dir/api-cert.pem --acme-http-listen 127.0.0.1:$http01"
