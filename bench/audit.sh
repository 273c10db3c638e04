#!/usr/bin/env bash
# Audit benchmark: how fast `rootwatch audit --credential-report DIR` gets
# through a fleet of generated credential reports, next to the time it takes
# merely to read the same files (the I/O floor). See bench/README.md.
#
#   bash bench/audit.sh
#
# Environment: N (accounts, default 10000), SEED (1), REPS (timed rounds, 5),
# CORPUS (directory of reports; default bench/out/credreports-n$N-seed$SEED,
# generated when missing or not matching N/SEED), OUT (results file, default
# bench/results.json), README=0 to leave bench/README.md alone.
#
# Needs only Go and coreutils; /usr/bin/time (GNU time) for peak memory.
# Nothing needs root, and no cache is dropped: every timed run reads from
# the page cache, warmed by an untimed round. Rounds are interleaved (cat,
# reader, audit json, audit table, then again), medians are reported.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-10000}
SEED=${SEED:-1}
REPS=${REPS:-5}
CORPUS=${CORPUS:-bench/out/credreports-n$N-seed$SEED}
README=${README:-1}
# COLD=1 drops the page cache before every timed run (needs root), so each
# run reads from the disk, as a first audit of files not read lately does.
COLD=${COLD:-0}
if [[ $COLD == 1 ]]; then
	TAG=results-cold
	CACHE="page cache dropped before every run (\`echo 3 > /proc/sys/vm/drop_caches\`)"
else
	TAG=results
	CACHE="page cache warm"
fi
OUT=${OUT:-bench/$TAG.json}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rootwatch-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log() { printf '%s\n' "$*" >&2; }

log "building rootwatch, readfloor and gen-credreports into $tmp"
go build -o "$tmp/rootwatch" ./cmd/rootwatch
go build -o "$tmp/readfloor" ./bench/readfloor
go build -o "$tmp/gen-credreports" ./bench/gen-credreports

manifest="$CORPUS/.manifest.json"
if [[ -f $manifest ]] && grep -q "\"n\": $N," "$manifest" && grep -q "\"seed\": $SEED," "$manifest" &&
	grep -q '"generator": "bench/gen-credreports v1"' "$manifest"; then
	log "reusing corpus $CORPUS"
else
	log "generating $N reports into $CORPUS"
	"$tmp/gen-credreports" -n "$N" -seed "$SEED" -out "$CORPUS" >&2
fi
files=("$CORPUS"/*)
if ((${#files[@]} != N)); then
	log "corpus $CORPUS holds ${#files[@]} files, want $N"
	exit 1
fi

# The report goes to standard output, redirected to /dev/null. Not
# --output /dev/null: the CLI writes --output through a temporary file in
# the same directory renamed into place, which fails for /dev as a user and,
# as root, replaces the /dev/null device with a regular file.
RW=("$tmp/rootwatch" audit --credential-report "$CORPUS")
declare -A CMD=(
	[cat]="cat \"\${files[@]}\""
	[readfloor]="\"$tmp/readfloor\" \"$CORPUS\""
	[audit_json]="\"\${RW[@]}\" --format json"
	[audit_table]="\"\${RW[@]}\" --format table"
)
ORDER=(cat readfloor audit_json audit_table)
# Exit codes that mean success: the audit exits 1 when findings fail, which
# a generated fleet always has; 3 (inputs that could not be read) is not.
declare -A OK=([cat]=" 0 " [readfloor]=" 0 " [audit_json]=" 0 1 " [audit_table]=" 0 1 ")

# Check once, untimed, that the audit reads every account (this also warms
# the page cache).
set +e
"${RW[@]}" --format table >"$tmp/table.txt" 2>"$tmp/table.err"
rc=$?
set -e
if [[ $rc != 0 && $rc != 1 ]] || ! grep -q "^  $N account(s) audited" "$tmp/table.txt"; then
	log "the audit did not read all $N accounts (exit $rc):"
	tail -5 "$tmp/table.err" "$tmp/table.txt" >&2
	exit 1
fi
floor_out=$("$tmp/readfloor" "$CORPUS")
total_bytes=$(awk '{print $3}' <<<"$floor_out")

have_time=0
[[ -x /usr/bin/time ]] && /usr/bin/time -f '%M' true 2>/dev/null && have_time=1
((have_time)) || log "warning: /usr/bin/time (GNU time) not found: no peak memory or CPU time"

# run NAME: one timed run; appends "wall_ms cpu_s rss_kb" to $tmp/s.NAME.
run() {
	local name=$1 t0 t1 rc line
	if [[ $COLD == 1 ]]; then
		sync
		if ! echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; then
			log "COLD=1 needs to write /proc/sys/vm/drop_caches (root)"
			exit 1
		fi
	fi
	t0=$(date +%s%N)
	set +e
	if ((have_time)); then
		eval "/usr/bin/time -o \"\$tmp/time\" -f '%U %S %M' ${CMD[$name]}" >/dev/null 2>"$tmp/err"
	else
		eval "${CMD[$name]}" >/dev/null 2>"$tmp/err"
	fi
	rc=$?
	set -e
	t1=$(date +%s%N)
	if [[ ${OK[$name]} != *" $rc "* ]]; then
		log "$name exited $rc:"
		tail -5 "$tmp/err" >&2
		exit 1
	fi
	if ((have_time)); then
		# GNU time puts "Command exited with non-zero status" first.
		line=$(tail -1 "$tmp/time")
		awk -v w=$(((t1 - t0) / 1000)) '{printf "%.4f %.2f %d\n", w/1e6, $1+$2, $3}' <<<"$line" >>"$tmp/s.$name"
	else
		awk -v w=$(((t1 - t0) / 1000)) 'BEGIN{printf "%.4f null null\n", w/1e6}' >>"$tmp/s.$name"
	fi
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
log "warm-up round"
for name in "${ORDER[@]}"; do run "$name"; done
for name in "${ORDER[@]}"; do : >"$tmp/s.$name"; done
for ((i = 1; i <= REPS; i++)); do
	log "round $i/$REPS"
	for name in "${ORDER[@]}"; do run "$name"; done
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

# col FILE K: the median of column K; colmin, colmax likewise.
median() { sort -g | awk '{v[NR]=$1} END{if(NR==0||v[1]=="null"){print "null"} else if(NR%2){print v[(NR+1)/2]} else {print (v[NR/2]+v[NR/2+1])/2}}'; }
col() { awk -v k="$2" '{print $k}' "$1"; }
declare -A WALL CPU RSS WMIN
for name in "${ORDER[@]}"; do
	WALL[$name]=$(col "$tmp/s.$name" 1 | median)
	WMIN[$name]=$(col "$tmp/s.$name" 1 | sort -g | head -1)
	CPU[$name]=$(col "$tmp/s.$name" 2 | median)
	RSS[$name]=$(col "$tmp/s.$name" 3 | sort -g | tail -1)
done
floor=${WALL[readfloor]}
floor_cpu=${CPU[readfloor]}

go_version=$(go version | awk '{print $3, $4}')
cpu_model=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo 2>/dev/null || echo unknown)
nproc=$(nproc)
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
[[ -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]] && commit="$commit (with uncommitted changes)"
json_files=$(grep -o '"json_files": [0-9]*' "$manifest" | awk '{print $2}')
csv_files=$(grep -o '"csv_files": [0-9]*' "$manifest" | awk '{print $2}')
iam_users=$(grep -o '"iam_users": [0-9]*' "$manifest" | awk '{print $2}')

# Derived numbers, per command.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{if(a=="null"||b=="null"||b==0){print "null"} else printf "%.1f", a/b}'; }
rate() { awk -v n="$N" -v s="$1" 'BEGIN{printf "%d", n/s}'; }
mib() { awk -v k="$1" 'BEGIN{if(k=="null"){print "n/a"} else printf "%.0f MiB", k/1024}'; }
secs() { awk -v s="$1" 'BEGIN{if(s=="null"){print "n/a"} else printf "%.2f s", s}'; }
verdict() { awk -v r="$1" 'BEGIN{print (r!="null" && r<=2.0) ? "met" : "missed"}'; }

{
	printf '{\n'
	printf '  "date": "%s",\n  "commit": "%s",\n  "go": "%s",\n  "nproc": %s,\n  "cpu": "%s",\n' "$date" "$commit" "$go_version" "$nproc" "$cpu_model"
	printf '  "load_average_start": "%s",\n  "load_average_end": "%s",\n' "$load_start" "$load_end"
	printf '  "corpus": {"dir": "%s", "files": %s, "bytes": %s, "json_files": %s, "csv_files": %s, "iam_users": %s, "seed": %s},\n' \
		"$CORPUS" "$N" "$total_bytes" "$json_files" "$csv_files" "$iam_users" "$SEED"
	printf '  "repetitions": %s,\n  "target": "audit wall time within 2x of the readfloor wall time",\n  "commands": {\n' "$REPS"
	sep=""
	for name in "${ORDER[@]}"; do
		samples=$(awk '{printf "%s{\"wall_s\": %s, \"cpu_s\": %s, \"max_rss_kb\": %s}", (NR>1 ? ", " : ""), $1, $2, $3}' "$tmp/s.$name")
		printf '%s    "%s": {"median_wall_s": %s, "min_wall_s": %s, "median_cpu_s": %s, "peak_rss_kb": %s, "accounts_per_s": %s, "x_floor_wall": %s, "x_floor_cpu": %s, "samples": [%s]}' \
			"$sep" "$name" "${WALL[$name]}" "${WMIN[$name]}" "${CPU[$name]}" "${RSS[$name]}" "$(rate "${WALL[$name]}")" \
			"$(ratio "${WALL[$name]}" "$floor")" "$(ratio "${CPU[$name]}" "$floor_cpu")" "$samples"
		sep=$',\n'
	done
	printf '\n  }\n}\n'
} >"$tmp/results.json"
cp "$tmp/results.json" "$OUT"

{
	printf '<!-- %s:start -->\n' "$TAG"
	printf '_Generated by `bash bench/audit.sh` on %s; do not edit by hand._\n\n' "$date"
	printf -- '- Machine: %s CPU(s), %s; load average %s at the start, %s at the end\n' "$nproc" "$cpu_model" "$load_start" "$load_end"
	printf -- '- Go: %s; commit %s\n' "$go_version" "$commit"
	printf -- '- Corpus: %s files (%s JSON, %s CSV), %s bytes (%s), %s IAM users; seed %s\n' \
		"$N" "$json_files" "$csv_files" "$total_bytes" "$(awk -v b="$total_bytes" 'BEGIN{printf "%.1f MiB", b/1048576}')" "$iam_users" "$SEED"
	printf -- '- Median of %s interleaved runs, %s\n\n' "$REPS" "$CACHE"
	printf '| What | Median wall | Fastest | CPU (user+sys) | Peak RSS | Files/s | × floor (wall) | × floor (CPU) |\n'
	printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
	for name in "${ORDER[@]}"; do
		case $name in
		cat) what='`cat DIR/* > /dev/null`' ;;
		readfloor) what='`readfloor DIR` (**the floor**)' ;;
		audit_json) what='`rootwatch audit … --format json`' ;;
		audit_table) what='`rootwatch audit … --format table`' ;;
		esac
		printf '| %s | %.3f s | %.3f s | %s | %s | %s | %s | %s |\n' "$what" "${WALL[$name]}" "${WMIN[$name]}" "$(secs "${CPU[$name]}")" \
			"$(mib "${RSS[$name]}")" "$(rate "${WALL[$name]}")" "$(ratio "${WALL[$name]}" "$floor")" "$(ratio "${CPU[$name]}" "$floor_cpu")"
	done
	printf '\nTarget (audit within 2× of the floor, wall time): **%s** for `--format json` (%s×), **%s** for `--format table` (%s×).\n' \
		"$(verdict "$(ratio "${WALL[audit_json]}" "$floor")")" "$(ratio "${WALL[audit_json]}" "$floor")" \
		"$(verdict "$(ratio "${WALL[audit_table]}" "$floor")")" "$(ratio "${WALL[audit_table]}" "$floor")"
	printf '<!-- %s:end -->\n' "$TAG"
} >"$tmp/section.md"

if [[ $README == 1 ]]; then
	readme=bench/README.md
	if grep -q "<!-- $TAG:start -->" "$readme" && grep -q "<!-- $TAG:end -->" "$readme"; then
		awk -v sec="$tmp/section.md" -v start="<!-- $TAG:start -->" -v end="<!-- $TAG:end -->" '
			$0 == start {while ((getline l < sec) > 0) print l; skip=1; next}
			$0 == end {skip=0; next}
			!skip {print}' "$readme" >"$tmp/README.md"
	else
		{ cat "$readme"; printf '\n'; cat "$tmp/section.md"; } >"$tmp/README.md"
	fi
	cp "$tmp/README.md" "$readme"
	log "updated $readme and $OUT"
else
	log "wrote $OUT"
fi
sed -e "/$TAG:/d" "$tmp/section.md"
