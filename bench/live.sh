#!/usr/bin/env bash
# Live organization audit benchmark: `rootwatch audit --org` against
# moto_server behind a proxy that adds a fixed latency to every call, as a
# remote AWS endpoint does. Measures API calls per account and wall time
# against the ideal (calls × latency ÷ concurrency), and, in the same run,
# the per-account loop a user would script with the aws CLI from the seeds
# (assume the role, generate, get and decode the credential report).
#
#   bash bench/live.sh          # N=200 LAT=50ms CONC=16 CLI_SAMPLE=10 REPS=3
#
# The timed run is repeated REPS times (the credential report sequences
# replayed from their start each time) and the median wall time is kept:
# the machine is shared. ONE_BY_ONE=0 skips the runs of each check on its
# own, CLI_SAMPLE=0 the aws CLI loop (quick iterations).
#
# Writes bench/live-results.json and, with README=1, the live section of
# bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-200}
LAT=${LAT:-50ms}
CONC=${CONC:-16}
CLI_SAMPLE=${CLI_SAMPLE:-10}
REPS=${REPS:-3}
ONE_BY_ONE=${ONE_BY_ONE:-1}
README=${README:-1}
command -v moto_server >/dev/null || { echo "moto_server is needed" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rootwatch-live.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
log() { printf '%s\n' "$*" >&2; }
trap 'echo "bench/live.sh: failed at line $LINENO" >&2' ERR
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

go build -o "$tmp/rootwatch" ./cmd/rootwatch
go build -o "$tmp/latencyproxy" ./bench/latencyproxy
go build -o "$tmp/live-setup" ./bench/live-setup

MOTO=$(port); PROXY=$(port); PROXY0=$(port); WARM=$(port)
moto_server -H 127.0.0.1 -p "$MOTO" >"$tmp/moto.log" 2>&1 & pids+=($!)
# The timed runs' proxy replays what moto answered in the warm-up run (the
# credential report's calls in the order they came), so they measure
# rootwatch and the latency, not moto's one Python process on a machine it
# shares.
"$tmp/latencyproxy" -listen "127.0.0.1:$PROXY" -listen-warm "127.0.0.1:$WARM" -replay -target "http://127.0.0.1:$MOTO" -latency "$LAT" -trace "$tmp/trace" 2>"$tmp/proxy.log" & pids+=($!)
# A proxy adding nothing and replaying nothing: moto's own cost (and the
# one call moto lacks, answered by the proxy).
"$tmp/latencyproxy" -listen "127.0.0.1:$PROXY0" -target "http://127.0.0.1:$MOTO" -latency 0s 2>"$tmp/proxy0.log" & pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$MOTO/moto-api/" >/dev/null && curl -sf "http://127.0.0.1:$PROXY/__count" >/dev/null && break; sleep 0.2; done

export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
	AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
log "creating an organization of $N members in moto"
"$tmp/live-setup" -endpoint "http://127.0.0.1:$MOTO" -n "$N" >/dev/null

count() { curl -sf "http://127.0.0.1:$PROXY/__count"; }
# moto_server builds each account's service backends on first use, which
# takes seconds per account: an untimed run straight to moto warms it, so
# the timed run measures rootwatch, not moto's start-up.
td0=$(date +%s%N)
"$tmp/rootwatch" audit --org --endpoint-url "http://127.0.0.1:$WARM" --concurrency "$CONC" --format json >"$tmp/warm.json" 2>/dev/null || true
td1=$(date +%s%N)
warmup=$(awk -v a="$td0" -v b="$td1" 'BEGIN{printf "%.2f", (b-a)/1e9}')
# The same run with no latency added, timed: what the emulator itself
# costs, one Python process answering every call.
tm0=$(date +%s%N)
"$tmp/rootwatch" audit --org --endpoint-url "http://127.0.0.1:$PROXY0" --concurrency "$CONC" --format json >/dev/null 2>&1 || true
tm1=$(date +%s%N)
direct=$(awk -v a="$tm0" -v b="$tm1" 'BEGIN{printf "%.2f", (b-a)/1e9}')
walls=()
for rep in $(seq "$REPS"); do
	curl -sf "http://127.0.0.1:$PROXY/__rewind" >/dev/null
	c0=$(count)
	t0=$(date +%s%N)
	rc=0
	"$tmp/rootwatch" audit --org --endpoint-url "http://127.0.0.1:$PROXY" --concurrency "$CONC" --format json >"$tmp/report.json" 2>"$tmp/audit.err" || rc=$?
	t1=$(date +%s%N)
	c1=$(count)
	# moto's credential reports have no root row, so every account's report
	# checks say error and the audit exits 3; the calls are all made.
	[[ $rc == 0 || $rc == 1 || $rc == 3 ]] || { tail -5 "$tmp/audit.err" >&2; exit 1; }
	walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/1e9}')")
	log "timed run $rep: ${walls[-1]} s, $((c1 - c0)) calls"
done
# Where the places sit idle in the last timed run: from the proxy's trace
# of every request (when it came, when it was answered), the time until
# CONC requests are first in flight (the start: finding the account and
# the organization, the first page of the walk) and from the last moment
# CONC were in flight to the end (the tail: the last accounts' last
# calls), and the idle place-seconds in each and in all.
slots=$(python3 - "$tmp/trace" "$t0" "$t1" "$CONC" <<'PY'
import json, sys
path, t0, t1, conc = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ev = []
for line in open(path):
    a, b, *_ = line.split()
    a, b = int(a), int(b)
    if t0 <= a <= t1:
        ev += [(a, 1), (b, -1)]
ev.sort()
n, last, first_full, last_full, busy = 0, t0, None, None, 0.0
start_idle = tail_idle = 0.0
for t, d in ev:
    busy += n * (t - last)
    if first_full is None:
        start_idle += (conc - min(n, conc)) * (t - last)
    last = t
    n += d
    if n >= conc:
        if first_full is None:
            first_full = t
        last_full = t
end = max(last, t1)
# Idle place-seconds after the last moment all places were busy.
n, last = 0, t0
for t, d in ev:
    if last_full is not None and t > last_full:
        tail_idle += (conc - min(n, conc)) * (t - max(last, last_full))
    last = t
    n += d
tail_idle += conc * (t1 - last)
s = 1e9
print(json.dumps({"start_s": round(((first_full or t1) - t0) / s, 2), "start_idle_place_s": round(start_idle / s, 1),
    "tail_s": round((t1 - (last_full or t0)) / s, 2), "tail_idle_place_s": round(tail_idle / s, 1),
    "idle_place_s": round((conc * (t1 - t0) - busy) / s, 1)}))
PY
)
log "places: $slots"
wall=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
all_walls=$(IFS=,; echo "${walls[*]}")
accounts=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["accounts"]))' "$tmp/report.json")
# The replayed run must judge as the live one did.
python3 - "$tmp/warm.json" "$tmp/report.json" <<'PY' || exit 1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
key = lambda d: sorted((f["account"], f["check"], f["status"]) for f in d["findings"])
if key(a) != key(b) or len(a["accounts"]) != len(b["accounts"]):
    sys.exit("the timed run's findings differ from the warm-up run's: the replay is wrong")
PY
calls=$((c1 - c0))
lat_s=$(awk -v l="${LAT%ms}" 'BEGIN{printf "%.3f", l/1000}')
ideal=$(awk -v c="$calls" -v l="$lat_s" -v k="$CONC" 'BEGIN{printf "%.2f", c*l/k}')
ratio=$(awk -v w="$wall" -v i="$ideal" 'BEGIN{printf "%.2f", w/i}')
per=$(awk -v c="$calls" -v a="$accounts" 'BEGIN{printf "%.1f", c/a}')

cli_per=0 cli_calls=0 cli_fleet=0
if (( CLI_SAMPLE > 0 )); then
log "the aws CLI loop on $CLI_SAMPLE accounts"
ids=$(python3 -c 'import json,sys; print("\n".join(a["id"] for a in json.load(open(sys.argv[1]))["accounts"][1:1+int(sys.argv[2])]))' "$tmp/report.json" "$CLI_SAMPLE")
A=(aws --endpoint-url "http://127.0.0.1:$PROXY")
c2=$(count)
t2=$(date +%s%N)
for id in $ids; do
	creds=$("${A[@]}" sts assume-role --role-arn "arn:aws:iam::$id:role/OrganizationAccountAccessRole" --role-session-name cli-loop \
		--query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
	read -r ak sk st <<<"$creds"
	AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk AWS_SESSION_TOKEN=$st "${A[@]}" iam generate-credential-report >/dev/null
	until [[ $(AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk AWS_SESSION_TOKEN=$st "${A[@]}" iam generate-credential-report --query State --output text) == COMPLETE ]]; do sleep 1; done
	AWS_ACCESS_KEY_ID=$ak AWS_SECRET_ACCESS_KEY=$sk AWS_SESSION_TOKEN=$st "${A[@]}" iam get-credential-report --query Content --output text | base64 -d >/dev/null
done
t3=$(date +%s%N)
c3=$(count)
cli_per=$(awk -v a="$t2" -v b="$t3" -v n="$CLI_SAMPLE" 'BEGIN{printf "%.2f", (b-a)/1e9/n}')
cli_calls=$(awk -v c="$((c3 - c2))" -v n="$CLI_SAMPLE" 'BEGIN{printf "%.1f", c/n}')
cli_fleet=$(awk -v p="$cli_per" -v n="$accounts" 'BEGIN{printf "%.0f", p*n}')
fi
# Each check done one by one: a run per check that collects only what that
# check judges (as a script per check would), its calls counted. The sum
# is what the checks cost apart; the audit above does them together.
log "each check on its own"
checks=$("$tmp/rootwatch" rules list --format json | python3 -c 'import json,sys; print(" ".join(r["id"] for r in json.load(sys.stdin)))')
one_total=0
one_rows=""
one_json=""
(( ONE_BY_ONE == 1 )) || checks=""
for ch in $checks; do
	c4=$(count)
	t4=$(date +%s%N)
	"$tmp/rootwatch" audit --org --endpoint-url "http://127.0.0.1:$PROXY" --concurrency "$CONC" --checks "$ch" --format json >/dev/null 2>&1 || true
	t5=$(date +%s%N)
	n=$(( $(count) - c4 ))
	one_total=$((one_total + n))
	w=$(awk -v a="$t4" -v b="$t5" 'BEGIN{printf "%.2f", (b-a)/1e9}')
	one_rows+="| \`$ch\` | $n | $(awk -v c="$n" -v a="$accounts" 'BEGIN{printf "%.1f", c/a}') | $w s |"$'\n'
	one_json+="${one_json:+, }{\"check\": \"$ch\", \"api_calls\": $n, \"wall_s\": $w}"
done
one_per=$(awk -v c="$one_total" -v a="$accounts" 'BEGIN{printf "%.1f", c/a}')
if (( ONE_BY_ONE != 1 )); then README=0; fi # the section needs them
date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)

cat >bench/live-results.json <<JSON
{"date": "$date", "commit": "$commit", "accounts": $accounts, "latency": "$LAT", "concurrency": $CONC,
 "rootwatch": {"wall_s": $wall, "wall_s_runs": [$all_walls], "api_calls": $calls, "calls_per_account": $per, "ideal_s": $ideal, "x_ideal": $ratio,
   "moto_warmup_s": $warmup, "straight_to_moto_s": $direct, "exit": $rc, "idle_places_last_run": $slots},
 "checks_one_by_one": {"api_calls": $one_total, "calls_per_account": $one_per, "checks": [$one_json]},
 "aws_cli_loop": {"sample_accounts": $CLI_SAMPLE, "s_per_account": $cli_per, "calls_per_account": $cli_calls, "whole_fleet_s_estimate": $cli_fleet}}
JSON
section=$(cat <<MD
<!-- live-results:start -->
_Generated by \`bash bench/live.sh\` on $date (commit $commit); do not edit by hand._

$accounts accounts (the management account and $N members) in moto_server behind a proxy adding $LAT to every call; \`--concurrency $CONC\`.
Wall time is the median of $REPS timed runs ($all_walls s).

| | Wall time | API calls | Calls per account | Ideal (calls × latency ÷ concurrency) | × ideal |
|---|---:|---:|---:|---:|---:|
| \`rootwatch audit --org\` | $wall s | $calls | $per | $ideal s | $ratio |
| aws CLI loop (assume role, generate, poll, get, decode), sequential | ${cli_per} s per account, about ${cli_fleet} s for the fleet | | $cli_calls (credential report only) | | |

Targets: within 1.3× of the ideal — $(awk -v r="$ratio" 'BEGIN{print (r <= 1.3) ? "**met** (" r "×)" : "**missed** (" r "×)"}'); fewer calls per
account than the checks need done one by one — $(awk -v a="$per" -v b="$one_per" 'BEGIN{print (a < b) ? "**met** (" a " against " b ")" : "**missed** (" a " against " b ")"}').

Each check on its own (\`audit --org --checks ID\`, which collects only what that check judges),
as a script per check would do it: $one_total calls in all, $one_per per account, against $per when
\`rootwatch audit --org\` does them together.

| Check on its own | API calls | Calls per account | Wall time |
|---|---:|---:|---:|
$(printf '%b' "$one_rows")

The timed runs go through a proxy that adds the latency and gives again what moto answered in
the warm-up run for the same request from the same account; the credential report's calls, whose
answers change as a report is generated, get the warm-up's answers in the order it got them (not
there yet, being generated, done), so each account waits for its report as in the warm-up. The
replayed run's findings are checked against the warm-up's. Straight to moto, with no latency and
nothing replayed, the same audit takes $direct s: moto answers every call in one Python process
on the two cores rootwatch uses too, so without the replay the benchmark would measure moto.

An untimed run with no latency first (${warmup} s) warms it: moto builds each account's
backends on first use. The ideal counts no waiting: the credential report is generated while
the account's other calls are made, and read after them.
<!-- live-results:end -->
MD
)
if [[ $README == 1 ]]; then
	if grep -q '<!-- live-results:start -->' bench/README.md; then
		awk -v sec="$section" '/<!-- live-results:start -->/{print sec; skip=1; next} /<!-- live-results:end -->/{skip=0; next} !skip{print}' bench/README.md >"$tmp/README.md"
		cp "$tmp/README.md" bench/README.md
	else
		printf '\n## Live organization audit\n\n%s\n' "$section" >>bench/README.md
	fi
fi
printf '%s\n' "$section"
