#!/usr/bin/env bash
# Memory benchmark: peak resident memory of `rootwatch audit
# --credential-report DIR` on a fleet of 100,000 generated credential
# reports, in every format, next to the floors that say what is
# unavoidable. See bench/README.md.
#
#   bash bench/memory.sh
#
# Environment: N (accounts, default 100000), SEED (1), CORPUS (default
# bench/out/credreports-n$N-seed$SEED, generated when missing), FORMATS
# ("table json csv sarif"), LIMIT_MB (the target, 500), OUT (results file,
# default bench/memory-results.json).
#
# Needs Go, coreutils and GNU time (/usr/bin/time -v: "Maximum resident set
# size"). The report goes to standard output redirected to /dev/null.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-100000}
SEED=${SEED:-1}
CORPUS=${CORPUS:-bench/out/credreports-n$N-seed$SEED}
FORMATS=${FORMATS:-table json csv sarif}
LIMIT_MB=${LIMIT_MB:-500}
OUT=${OUT:-bench/memory-results.json}

if ! [[ -x /usr/bin/time ]] || ! /usr/bin/time -f '%M' true 2>/dev/null; then
	echo "GNU time (/usr/bin/time) is needed to measure peak memory" >&2
	exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rootwatch-mem.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log() { printf '%s\n' "$*" >&2; }

log "building rootwatch, readfloor and gen-credreports into $tmp"
go build -o "$tmp/rootwatch" ./cmd/rootwatch
go build -o "$tmp/readfloor" ./bench/readfloor
go build -o "$tmp/gen-credreports" ./bench/gen-credreports

manifest="$CORPUS/.manifest.json"
if [[ -f $manifest ]] && grep -q "\"n\": $N," "$manifest" && grep -q "\"seed\": $SEED," "$manifest"; then
	log "reusing corpus $CORPUS"
else
	log "generating $N reports into $CORPUS (a few minutes)"
	"$tmp/gen-credreports" -n "$N" -seed "$SEED" -out "$CORPUS" -no-verify >&2
fi
input_bytes=$(du -sb "$CORPUS" | awk '{print $1}')

# peak NAME CMD...: runs CMD under GNU time; prints "rss_kb wall_s exit".
peak() {
	local name=$1 rc
	shift
	set +e
	/usr/bin/time -o "$tmp/time.$name" -f '%M %e' "$@" >/dev/null 2>"$tmp/err.$name"
	rc=$?
	set -e
	echo "$(tail -1 "$tmp/time.$name") $rc"
}

# The floors: reading every file (readfloor), and the snapshot alone, that
# is the audit with no check to judge and no report (GOGC as rootwatch
# sets it; the snapshot lives to the end of any audit).
log "floor: readfloor"
read -r floor_rss floor_wall _ < <(peak readfloor "$tmp/readfloor" "$CORPUS")

declare -A RSS WALL RC
for f in $FORMATS; do
	log "audit --format $f"
	read -r RSS[$f] WALL[$f] RC[$f] < <(peak "$f" "$tmp/rootwatch" audit --credential-report "$CORPUS" --format "$f")
	if [[ ${RC[$f]} != 0 && ${RC[$f]} != 1 ]]; then
		log "audit --format $f exited ${RC[$f]}:"
		tail -5 "$tmp/err.$f" >&2
		exit 1
	fi
done
# Without the soft memory limit rootwatch sets (GOMEMLIMIT=off: only GOGC).
log "audit --format json, GOMEMLIMIT=off"
read -r nolimit_rss nolimit_wall nolimit_rc < <(peak nolimit env GOMEMLIMIT=off "$tmp/rootwatch" audit --credential-report "$CORPUS" --format json)

date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && commit="$commit (with uncommitted changes)"
mb() { awk -v k="$1" 'BEGIN{printf "%.0f", k*1024/1e6}'; }
{
	printf '{\n  "date": "%s",\n  "commit": "%s",\n  "nproc": %s,\n  "accounts": %s,\n  "input_bytes": %s,\n  "limit_mb": %s,\n' \
		"$date" "$commit" "$(nproc)" "$N" "$input_bytes" "$LIMIT_MB"
	printf '  "readfloor": {"peak_rss_kb": %s, "wall_s": %s},\n' "$floor_rss" "$floor_wall"
	printf '  "json_without_memory_limit": {"peak_rss_kb": %s, "wall_s": %s},\n  "audit": {' "$nolimit_rss" "$nolimit_wall"
	sep=""
	for f in $FORMATS; do
		printf '%s\n    "%s": {"peak_rss_kb": %s, "wall_s": %s, "exit": %s, "bytes_per_account": %s}' "$sep" "$f" "${RSS[$f]}" "${WALL[$f]}" "${RC[$f]}" \
			"$(awk -v k="${RSS[$f]}" -v n="$N" 'BEGIN{printf "%d", k*1024/n}')"
		sep=","
	done
	printf '\n  }\n}\n'
} >"$OUT"

printf '\n%s accounts, %s of reports (%s MB); target: peak RSS under %s MB in every format\n\n' "$N" "$input_bytes bytes" "$(awk -v b="$input_bytes" 'BEGIN{printf "%.0f", b/1e6}')" "$LIMIT_MB"
printf '| What | Peak RSS | Per account | Wall | Target |\n|---|---:|---:|---:|---|\n'
printf '| `readfloor DIR` (reading every file) | %s MB | | %s s | |\n' "$(mb "$floor_rss")" "$floor_wall"
for f in $FORMATS; do
	verdict=$(awk -v k="${RSS[$f]}" -v l="$LIMIT_MB" 'BEGIN{print (k*1024/1e6 < l) ? "met" : "missed"}')
	printf '| `rootwatch audit … --format %s` | %s MB | %s B | %s s | %s |\n' "$f" "$(mb "${RSS[$f]}")" \
		"$(awk -v k="${RSS[$f]}" -v n="$N" 'BEGIN{printf "%d", k*1024/n}')" "${WALL[$f]}" "$verdict"
done
printf '| `GOMEMLIMIT=off rootwatch audit … --format json` (GOGC=200 alone) | %s MB | | %s s | |\n' "$(mb "$nolimit_rss")" "$nolimit_wall"
log "wrote $OUT"
