#!/usr/bin/env bash
# The bulk import's figure of docs/performance.md: generate a CSV file of N
# accounts (default 100,000) with kept hashes, half bcrypt and half
# SHA512-crypt (PostfixAdmin's and mailcow's schemes, both of the password
# "correct horse battery"), and import it with `switchboard import accounts`
# into a fresh data directory, timed. Extra arguments go to every switchboard
# call (e.g. --database postgres://... on an empty schema).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-100000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/switchboard" ./cmd/switchboard
awk -v n="$n" 'BEGIN {
  print "email,password_hash,active"
  for (i = 0; i < n; i++) {
    h = (i % 2 == 0) ? "{SHA512-CRYPT}$6$B8FTSOqJn2F0tROz$i.JkqWWSanoUxXXJ.oxWEf6W7nrB/RjiOVnEW4IKSVArXv8tpkojqzBxkO.rlbDYbr3eGqtJ/D5pZqmJL5wkm." : "{BLF-CRYPT}$2y$05$kVQCFv8odaNDM771jP9oD.HV2zbgUNqhzMvXb59/k2HZ47Yt8JZ3a"
    printf "user%06d@bulk.example,%s,true\n", i, h
  }
}' > "$work/accounts.csv"
sb() { "$work/switchboard" "$@" --data "$work/data" "${extra[@]}"; }
extra=("$@")
sb tenant create bulk --password bulk-password-1 >/dev/null
sb domain create bulk.example --tenant bulk >/dev/null
/usr/bin/time -f '%e s wall, %U s user, %S s sys, %M KiB max RSS' \
  "$work/switchboard" import accounts "$work/accounts.csv" --domain bulk.example --data "$work/data" "${extra[@]}"
