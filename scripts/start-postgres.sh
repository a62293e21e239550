#!/usr/bin/env bash
# Start a local PostgreSQL for the storage tests (Debian's package), create the
# test role and database, and print the SQLAlchemy URL on the last line.
# Idempotent: safe to run when it is already installed or running.
set -euo pipefail

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  echo "installing postgresql from Debian's packages..." >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -q "^$ver main$"; then
  pg_createcluster "$ver" main >&2
fi
pg_ctlcluster "$ver" main start >&2 2>/dev/null || true
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 && break
  sleep 0.5
done
pg_isready -h 127.0.0.1 >&2
runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 >&2 <<'SQL'
SELECT 'CREATE ROLE yangcheng LOGIN PASSWORD ''yangcheng'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'yangcheng')\gexec
SELECT 'CREATE DATABASE yangcheng_test OWNER yangcheng'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'yangcheng_test')\gexec
SQL
echo "postgresql+psycopg://yangcheng:yangcheng@127.0.0.1:5432/yangcheng_test"
