#!/usr/bin/env bash
# Runs every check and test of rootwatch: formatting, vet, staticcheck and the
# race-enabled test suite. .ci/run calls exactly this; so does the README.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== go mod download"
go mod download

echo "== DuckDB for the SQL tests (npm ci in scripts/duckdb)"
# The Athena query is tested on a real SQL engine: DuckDB's Node.js package,
# from the npm registry (no download from elsewhere). Without npm the SQL
# tests say they are skipped.
if command -v npm >/dev/null; then
  # npm ci installs exactly the lock file and never rewrites it, so the test
  # command leaves the tree clean. The lock file lists every platform's
  # optional DuckDB binding (npm installs only this machine's); a lock file
  # missing some would make npm ci refuse it as out of sync. node_modules is
  # reinstalled only when the lock file changed since the last install.
  if [ ! -f scripts/duckdb/node_modules/.package-lock.json ] ||
     [ scripts/duckdb/package-lock.json -nt scripts/duckdb/node_modules/.package-lock.json ]; then
    npm ci --prefix scripts/duckdb --no-audit --no-fund --loglevel=error
  fi
else
  echo "npm not found: the SQL tests will be skipped"
fi

echo "== moto_server for the end-to-end tests"
# moto 5.2.1 comes with the machine image (no Python registry is reachable
# to install it); the tests start it on free ports themselves.
if command -v moto_server >/dev/null; then
  echo "moto_server found: $(command -v moto_server)"
else
  echo "moto_server not found: the end-to-end tests will be skipped"
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bench/out/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go tool staticcheck ./...

echo "== go test -race"
go test -race -count=1 ./...
