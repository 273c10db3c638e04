#!/usr/bin/env bash
# CloudTrail benchmark: `rootwatch trail` over a generated corpus of
# CloudTrail log files in the S3 delivery layout (default 2 GiB
# uncompressed, about 0.1% root events), against, in the same run:
#   - the decompression floor: zcat of every file to /dev/null on both
#     cores, and libdeflate-gunzip (Debian's libdeflate-tools, about 4x
#     faster than zcat) when installed;
#   - what a user would reach for instead: zcat | jq selecting root's
#     records on both cores, and DuckDB's read_json over the same files.
# Every tool's count of root records is checked against the corpus
# manifest. Medians of REPS interleaved rounds, page cache warm.
#
#   bash bench/trail.sh            # SIZE=2GiB SEED=1 REPS=3
#
# Writes bench/trail-results.json and the trail section of bench/README.md
# (README=0 leaves it alone). Needs Go, gzip, jq, GNU time; Node.js and npm
# for DuckDB (scripts/duckdb); libdeflate-gunzip if present.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-2GiB}
SEED=${SEED:-1}
REPS=${REPS:-3}
README=${README:-1}
CORPUS=${CORPUS:-bench/out/cloudtrail-$SIZE-seed$SEED}
log() { printf '%s\n' "$*" >&2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rootwatch-trail.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [[ ! -f $CORPUS/manifest.json ]]; then
	log "generating $SIZE of CloudTrail logs in $CORPUS"
	rm -rf "$CORPUS"
	go run ./bench/gen-cloudtrail -out "$CORPUS" -size "$SIZE" -seed "$SEED" >/dev/null
fi
go build -o "$tmp/rootwatch" ./cmd/rootwatch
if [[ ! -d scripts/duckdb/node_modules/@duckdb/node-api ]] && command -v npm >/dev/null; then
	npm install --prefix scripts/duckdb --no-audit --no-fund --loglevel=error >&2
fi
want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["root_events"])' "$CORPUS/manifest.json")
logs=$CORPUS/AWSLogs
find "$logs" -name '*.json.gz' -print0 >"$tmp/files"

# Each command prints the number of root records it found on stdout.
run_rootwatch() { "$tmp/rootwatch" trail "$logs" --format jsonl 2>"$tmp/rw.err" | wc -l; }
run_zcat() { xargs -0 -P2 -n 64 zcat <"$tmp/files" >/dev/null; echo "$want"; }
run_libdeflate() { xargs -0 -P2 -n 64 libdeflate-gunzip -c <"$tmp/files" >/dev/null; echo "$want"; }
run_jq() { xargs -0 -P2 -n 64 sh -c 'zcat "$@" | jq -c ".Records[] | select(.userIdentity.type == \"Root\")"' _ <"$tmp/files" | wc -l; }
run_duckdb() { node scripts/duckdb/count-root.mjs "$logs/**/*.json.gz"; }

tools=(rootwatch zcat)
command -v libdeflate-gunzip >/dev/null && tools+=(libdeflate)
tools+=(jq)
[[ -d scripts/duckdb/node_modules/@duckdb/node-api ]] && command -v node >/dev/null && tools+=(duckdb)

# One timed run: wall seconds, peak RSS (KiB, of the largest process),
# user+sys seconds; and the count, checked.
measure() {
	local tool=$1
	/usr/bin/time -f '%e %M %U %S' -o "$tmp/time" bash -c "$(declare -f "run_$tool"); tmp=$tmp logs=$logs want=$want; run_$tool" >"$tmp/count"
	local count
	count=$(tr -d ' ' <"$tmp/count")
	if [[ $count != "$want" ]]; then
		log "$tool found $count root records, the corpus has $want"
		[[ -f $tmp/rw.err ]] && tail -3 "$tmp/rw.err" >&2
		exit 1
	fi
	read -r wall rss user sys <"$tmp/time"
	echo "$tool $wall $rss $(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')" >>"$tmp/samples"
}

log "warming the page cache"
cat "$CORPUS"/AWSLogs/*/*/CloudTrail/*/*/*/*/* >/dev/null 2>&1 || xargs -0 cat <"$tmp/files" >/dev/null
: >"$tmp/samples"
for round in $(seq "$REPS"); do
	for tool in "${tools[@]}"; do
		log "round $round: $tool"
		measure "$tool"
	done
done

python3 - "$tmp/samples" "$CORPUS/manifest.json" "$REPS" "$README" <<'PY'
import json, statistics, subprocess, sys, datetime, os, platform
samples, manifest, reps, readme = sys.argv[1], json.load(open(sys.argv[2])), int(sys.argv[3]), sys.argv[4] == "1"
rows = {}
for line in open(samples):
    tool, wall, rss, cpu = line.split()
    rows.setdefault(tool, []).append((float(wall), int(rss), float(cpu)))
mb = manifest["uncompressed_bytes"] / 1e6
res = {}
for tool, s in rows.items():
    walls = sorted(x[0] for x in s)
    res[tool] = {"median_wall_s": statistics.median(walls), "fastest_wall_s": walls[0], "peak_rss_mib": round(max(x[1] for x in s) / 1024, 1),
                 "median_cpu_s": statistics.median(x[2] for x in s), "mb_per_s": round(mb / statistics.median(walls), 1)}
rw = res["rootwatch"]["median_wall_s"]
for tool in res:
    res[tool]["x_rootwatch"] = round(res[tool]["median_wall_s"] / rw, 2)
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip() or "unknown"
date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
out = {"date": date, "commit": commit, "cpus": os.cpu_count(), "cpu": cpu, "corpus": manifest, "reps": reps, "results": res}
json.dump(out, open("bench/trail-results.json", "w"), indent=1)

names = {"rootwatch": "`rootwatch trail DIR --format jsonl`", "zcat": "`zcat` every file to /dev/null, 2 processes (**the floor**)",
         "libdeflate": "`libdeflate-gunzip -c` every file to /dev/null, 2 processes", "jq": "`zcat | jq` selecting root's records, 2 processes",
         "duckdb": "DuckDB `read_json` (Node.js), root records counted"}
floor = res["zcat"]["median_wall_s"]
lines = [f"_Generated by `bash bench/trail.sh` on {date} (commit {commit}); do not edit by hand._", "",
         f"- Machine: {os.cpu_count()} CPU(s), {cpu}",
         f"- Corpus: {manifest['files']} files, {manifest['records']:,} records, {manifest['uncompressed_bytes']/2**30:.2f} GiB uncompressed "
         f"({manifest['compressed_bytes']/2**20:.0f} MiB gzip), {manifest['root_events']} root events ({manifest['root_share']*100:g}%), seed {manifest['seed']}",
         f"- Median of {reps} interleaved rounds, page cache warm; every tool's count of root records matched the corpus", "",
         "| What | Median wall | Fastest | CPU (user+sys) | Peak RSS | Uncompressed MB/s | × rootwatch |",
         "|---|---:|---:|---:|---:|---:|---:|"]
for tool in ["rootwatch", "zcat", "libdeflate", "jq", "duckdb"]:
    if tool in res:
        r = res[tool]
        lines.append(f"| {names[tool]} | {r['median_wall_s']:.2f} s | {r['fastest_wall_s']:.2f} s | {r['median_cpu_s']:.2f} s | {r['peak_rss_mib']} MiB | {r['mb_per_s']} | {r['x_rootwatch']} |")
lines.append("")
verdict = lambda ok: "**met**" if ok else "**missed**"
t = [f"- Within 1.3× of the decompression floor (zcat): {rw/floor:.2f}× — {verdict(rw <= 1.3*floor)}."]
if "libdeflate" in res:
    t.append(f"- Against libdeflate-gunzip (the fastest inflater here): {rw/res['libdeflate']['median_wall_s']:.2f}×.")
if "jq" in res:
    t.append(f"- At least 20× faster than zcat | jq: {res['jq']['median_wall_s']/rw:.1f}× — {verdict(res['jq']['median_wall_s'] >= 20*rw)}.")
if "duckdb" in res:
    t.append(f"- Faster than DuckDB: {res['duckdb']['median_wall_s']/rw:.1f}× — {verdict(res['duckdb']['median_wall_s'] > rw)}.")
t.append(f"- Peak memory under 200 MB: {res['rootwatch']['peak_rss_mib']} MiB — {verdict(res['rootwatch']['peak_rss_mib'] * 1.048576 < 200)}.")
section = "\n".join(lines + t)
print(section)
if readme:
    path = "bench/README.md"
    text = open(path).read()
    start, end = "<!-- trail-results:start -->", "<!-- trail-results:end -->"
    block = f"{start}\n{section}\n{end}"
    if start in text:
        text = text[:text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text += "\n## CloudTrail: `rootwatch trail`\n\n" + block + "\n"
    open(path, "w").write(text)
PY
