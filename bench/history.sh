#!/usr/bin/env bash
# History store benchmark (issue 12): ACCOUNTS accounts × WEEKS weekly runs
# written through history.Store in SQLite and PostgreSQL; the time to
# write one week with a finding per built-in check per account; and, in
# the same run, `SELECT count(*) FROM observations` (the floor), the
# observations streamed to a no-op (the driver floor) and the study over
# the whole store, each in a process of its own for its peak memory, over
# all the weeks and over the first half; beside the count, two more floors:
# the count over the table itself (SQLite's count picks its smallest
# index) and every column read inside the database. See bench/README.md.
#
#   bash bench/history.sh
#
# Environment: ACCOUNTS (100000), WEEKS (52), BACKENDS ("sqlite postgres"),
# REPEAT (3: count, floor and study rounds; the median is reported),
# FILL_FINDINGS (2: findings per account in weeks 1..WEEKS-1), FRESH (1:
# drop the stores first; 0 reuses weeks already written), KEEP (0: drop
# the stores at the end), ADMIN (PostgreSQL URL to create the bench
# database with, default the local socket as root), OUT (results file,
# default bench/history-results.json), APPEND (0; 1 adds to the lines of an
# earlier run in bench/out/history/results.jsonl, e.g. a fill done apart).
#
# Needs Go; PostgreSQL for that backend. The SQLite store goes to
# bench/out/history/ (git-ignored): about 5 GB at 100,000 × 52.
set -euo pipefail

cd "$(dirname "$0")/.."
ACCOUNTS=${ACCOUNTS:-100000}
WEEKS=${WEEKS:-52}
BACKENDS=${BACKENDS:-sqlite postgres}
REPEAT=${REPEAT:-3}
FILL_FINDINGS=${FILL_FINDINGS:-2}
FRESH=${FRESH:-1}
KEEP=${KEEP:-0}
ADMIN=${ADMIN:-postgres://root@/postgres?host=/var/run/postgresql}
OUT=${OUT:-bench/history-results.json}

mkdir -p bench/out/history
bin=bench/out/history/hbench
log() { printf '%s %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
log "building bench/history"
go build -o "$bin" ./bench/history

lines=bench/out/history/results.jsonl
[[ ${APPEND:-0} == 1 ]] || : > "$lines"
hb() { "$bin" --accounts "$ACCOUNTS" --weeks "$WEEKS" --admin "$ADMIN" --fill-findings "$FILL_FINDINGS" "$@"; }

for b in $BACKENDS; do
	if [[ $FRESH == 1 ]]; then
		log "$b: dropping the store"
		hb --backend "$b" --phase drop
	fi
	log "$b: filling weeks 1..$((WEEKS - 1)) (load: $(cut -d' ' -f1-3 /proc/loadavg))"
	hb --backend "$b" --phase fill 2> "bench/out/history/$b-fill.log" >> "$lines"
	log "$b: writing week $WEEKS with every check's findings"
	hb --backend "$b" --phase write >> "$lines" || log "$b: week $WEEKS not written (already there?)"
	hb --backend "$b" --phase gen >> "$lines"
	hb --backend "$b" --phase size >> "$lines"
	for weeks in 0 $((WEEKS / 2)); do
		for r in $(seq "$REPEAT"); do
			for p in count count-table sum-all floor study; do
				log "$b: $p (weeks ${weeks/#0/all}, round $r)"
				hb --backend "$b" --phase "$p" --study-weeks "$weeks" >> "$lines" 2>/dev/null
			done
		done
	done
	if [[ $KEEP != 1 ]]; then
		log "$b: dropping the store"
		hb --backend "$b" --phase drop
	fi
done

# The results: every line, and per backend the medians and the ratios.
go run ./bench/history/summarize "$lines" > "$OUT"
log "wrote $OUT"
cat "$OUT" | head -80 >&2
