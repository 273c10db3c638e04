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

echo "== PostgreSQL for the history store tests"
# PostgreSQL 15 comes with the machine image. The store's tests run against
# it as against SQLite: start the cluster (already running is fine), give
# the current user a role once (peer authentication over the Unix socket)
# and tell the tests where it answers. Each test creates and drops its own
# database. Without PostgreSQL the tests say they are skipped.
if [ -z "${ROOTWATCH_TEST_POSTGRES:-}" ] && command -v pg_ctlcluster >/dev/null; then
  pg_user=$(id -un)
  if ! pg_isready -q -h /var/run/postgresql; then
    if [ "$(id -u)" = 0 ]; then
      pg_ctlcluster --skip-systemctl-redirect 15 main start || true
    else
      pg_ctlcluster 15 main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h /var/run/postgresql && break; sleep 1; done
  fi
  if pg_isready -q -h /var/run/postgresql; then
    if ! psql -h /var/run/postgresql -U "$pg_user" -d postgres -Atc 'select 1' >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
      su postgres -c "createuser -s $pg_user" || true
    fi
    if psql -h /var/run/postgresql -U "$pg_user" -d postgres -Atc 'select 1' >/dev/null 2>&1; then
      export ROOTWATCH_TEST_POSTGRES="postgres://$pg_user@/postgres?host=/var/run/postgresql"
      echo "PostgreSQL answers: $ROOTWATCH_TEST_POSTGRES"
    else
      echo "PostgreSQL runs but refuses role $pg_user: the PostgreSQL store tests will be skipped"
    fi
  else
    echo "PostgreSQL could not be started: the PostgreSQL store tests will be skipped"
  fi
elif [ -n "${ROOTWATCH_TEST_POSTGRES:-}" ]; then
  echo "PostgreSQL from ROOTWATCH_TEST_POSTGRES: $ROOTWATCH_TEST_POSTGRES"
else
  echo "pg_ctlcluster not found: the PostgreSQL store tests will be skipped"
fi

echo "== Chromium for the browser tests"
# The HTML pages (rootwatch study --format html) are tested in headless
# Chromium: Debian's chromium package, driven over the DevTools protocol.
# Installed here when missing (about 30 s with apt-get update); without it
# the browser tests say they are skipped. The tests keep their screenshots
# and pages in bench/out/test-artefacts (ignored by git).
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian's chromium"
    if ! { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 ||
           { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }; }; then
      echo "could not install chromium with apt-get: the browser tests will be skipped"
    fi
  else
    echo "/usr/bin/chromium not found and cannot be installed (needs root and apt-get): the browser tests will be skipped"
  fi
fi
if [ -x /usr/bin/chromium ]; then
  echo "chromium found: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
fi
export ROOTWATCH_TEST_ARTEFACTS="${ROOTWATCH_TEST_ARTEFACTS:-$PWD/bench/out/test-artefacts}"
mkdir -p "$ROOTWATCH_TEST_ARTEFACTS"

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
