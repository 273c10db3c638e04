// Command history benchmarks the history store (issue 12): a fleet of
// accounts audited weekly, written run by run through history.Store, then
// read back three ways: a bare count of the observations (the floor), the
// observations streamed through Store.Observations to a no-op (the driver
// floor), and the study over the whole store.
//
//	go run ./bench/history --backend sqlite|postgres --accounts 100000 --weeks 52 --phase PHASE
//
// Phases: fill (weeks 1..W-1, observations with --fill-findings findings
// per account), write (week W with one finding per built-in check per
// account: the timed week), count, floor, study, and all (every one of
// them, in one process). Each phase prints one JSON object on stdout;
// progress goes to stderr. The data are deterministic: the same
// --accounts, --weeks and --seed give the same store.
package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver, for the count
	_ "modernc.org/sqlite"             // the "sqlite" driver, for the count

	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/history"
	"github.com/rootwatch/rootwatch/internal/study"
)

// checks are the built-in checks (internal/rules/builtin): a real audit
// writes one finding per check per account.
var checks = []string{
	"alternate-contacts", "budget-alert", "centralized-root-access", "root-access-key-present", "root-access-key-stale",
	"root-access-key-used", "root-console-login-without-mfa", "root-hardware-mfa", "root-mfa-enabled", "root-recent-use",
	"root-scp-guardrail", "root-signing-certificate", "root-usage-alarm", "security-contact-registered",
}

// fillChecks are the findings written per account in the filled weeks.
var fillChecks = []string{"root-mfa-enabled", "root-recent-use", "root-access-key-present", "root-hardware-mfa"}

// firstWeek is the first audit: a Sunday, 08:00 UTC.
var firstWeek = time.Date(2025, 1, 5, 8, 0, 0, 0, time.UTC)

type config struct {
	backend      string
	url          string
	admin        string
	accounts     int
	weeks        int
	seed         uint64
	fillFindings int
	studyWeeks   int
	phase        string
}

// result is one phase's figures.
type result struct {
	Phase    string  `json:"phase"`
	Backend  string  `json:"backend"`
	Accounts int     `json:"accounts"`
	Weeks    int     `json:"weeks"`
	Seconds  float64 `json:"seconds"`
	Rows     int64   `json:"rows,omitempty"`
	// Findings written (fill, write).
	Findings int64 `json:"findings,omitempty"`
	// WeekSeconds: each week's write time (fill).
	WeekSeconds []float64 `json:"week_seconds,omitempty"`
	// StudyWeeks: the weeks the read phases read (all when 0).
	StudyWeeks int `json:"study_weeks,omitempty"`
	// VmHWMKB is the process's peak resident set (/proc/self/status).
	VmHWMKB int64 `json:"vm_hwm_kb"`
	// HeapInusePeak is the largest runtime.MemStats.HeapInuse sampled
	// every 20 ms during the phase.
	HeapInusePeak uint64 `json:"heap_inuse_peak_bytes"`
	// OpenSeconds: the part of Seconds spent opening the store (floor,
	// study).
	OpenSeconds float64 `json:"open_seconds,omitempty"`
	// Detail: what the study found, to show it computed something.
	Detail map[string]any `json:"detail,omitempty"`
	Load   string         `json:"load"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/history:", err)
		os.Exit(1)
	}
}

func run() error {
	var c config
	flag.StringVar(&c.backend, "backend", "sqlite", "sqlite or postgres")
	flag.StringVar(&c.url, "store", "", "store URL (default: sqlite:bench/out/history/a<N>-w<W>.db, or database rootwatch_bench_a<N>_w<W> on the local PostgreSQL)")
	flag.StringVar(&c.admin, "admin", "postgres://root@/postgres?host=/var/run/postgresql", "PostgreSQL URL to create and drop the bench database with")
	flag.IntVar(&c.accounts, "accounts", 100000, "accounts per weekly run")
	flag.IntVar(&c.weeks, "weeks", 52, "weekly runs")
	flag.Uint64Var(&c.seed, "seed", 1, "seed of the generated fleet")
	flag.IntVar(&c.fillFindings, "fill-findings", 2, "findings per account in the filled weeks (at most 4)")
	flag.IntVar(&c.studyWeeks, "study-weeks", 0, "read only the first K weeks in count, floor and study (0: all)")
	flag.StringVar(&c.phase, "phase", "all", "fill, write, count, count-table, sum-all, floor, study, all; gen (generate week W only), size (bytes on disk, in rows), drop (delete the store)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the phases to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if c.accounts < 1 || c.weeks < 1 || c.fillFindings < 0 || c.fillFindings > len(fillChecks) {
		return errors.New("bad --accounts, --weeks or --fill-findings")
	}
	if c.url == "" {
		switch c.backend {
		case "sqlite":
			c.url = fmt.Sprintf("sqlite:bench/out/history/a%d-w%d.db", c.accounts, c.weeks)
		case "postgres":
			u := strings.Replace(c.admin, "/postgres?", fmt.Sprintf("/rootwatch_bench_a%d_w%d?", c.accounts, c.weeks), 1)
			c.url = u
		default:
			return fmt.Errorf("--backend %q: want sqlite or postgres", c.backend)
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	phases := []string{c.phase}
	if c.phase == "all" {
		phases = []string{"fill", "write", "count", "floor", "study"}
	}
	enc := json.NewEncoder(os.Stdout)
	for _, p := range phases {
		r, err := phase(ctx, c, p)
		if err != nil {
			return fmt.Errorf("phase %s: %w", p, err)
		}
		if p == "drop" {
			continue
		}
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

func phase(ctx context.Context, c config, name string) (result, error) {
	r := result{Phase: name, Backend: c.backend, Accounts: c.accounts, Weeks: c.weeks}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	start := time.Now()
	var err error
	switch name {
	case "fill":
		err = fill(ctx, c, &r)
	case "write":
		err = writeLast(ctx, c, &r)
	case "count", "count-table", "sum-all":
		err = count(ctx, c, name, &r)
	case "floor", "study":
		err = read(ctx, c, name, &r)
	case "gen":
		err = generate(c, &r)
	case "size":
		err = size(ctx, c, &r)
	case "drop":
		err = drop(ctx, c)
	default:
		err = fmt.Errorf("unknown phase %q", name)
	}
	r.Seconds = time.Since(start).Seconds()
	close(done)
	wg.Wait()
	r.HeapInusePeak = peak
	r.VmHWMKB = vmHWM()
	r.Load = load()
	return r, err
}

func open(ctx context.Context, c config) (history.Store, error) {
	if c.backend == "postgres" {
		if err := createDB(ctx, c); err != nil {
			return nil, err
		}
	} else if path, ok := strings.CutPrefix(c.url, "sqlite:"); ok {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, err
		}
	}
	return history.Open(ctx, c.url)
}

func dbName(c config) string {
	return fmt.Sprintf("rootwatch_bench_a%d_w%d", c.accounts, c.weeks)
}

func createDB(ctx context.Context, c config) error {
	db, err := sql.Open("pgx", c.admin)
	if err != nil {
		return err
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_database WHERE datname = $1`, dbName(c)).Scan(&n); err != nil {
		return fmt.Errorf("look for database %s: %w", dbName(c), err)
	}
	if n == 0 {
		if _, err := db.ExecContext(ctx, "CREATE DATABASE "+dbName(c)); err != nil {
			return fmt.Errorf("create database %s: %w", dbName(c), err)
		}
	}
	return nil
}

func drop(ctx context.Context, c config) error {
	if c.backend == "postgres" {
		db, err := sql.Open("pgx", c.admin)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+dbName(c)+" WITH (FORCE)")
		return err
	}
	path := strings.TrimPrefix(c.url, "sqlite:")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// fill writes weeks 1..W-1, skipping those already in the store.
func fill(ctx context.Context, c config, r *result) error {
	s, err := open(ctx, c)
	if err != nil {
		return err
	}
	defer s.Close()
	have := map[time.Time]bool{}
	runs, err := s.Runs(ctx)
	if err != nil {
		return err
	}
	for _, run := range runs {
		have[weekOf(run.FirstAsOf)] = true
	}
	f := newFleet(c.accounts, c.seed)
	for w := range c.weeks - 1 {
		if have[weekStart(w)] {
			continue
		}
		start := time.Now()
		run, err := s.WriteRun(ctx, history.RunInput{WrittenAt: weekStart(w).Add(time.Hour), ToolVersion: "bench", Accounts: f.week(w, fillChecks[:c.fillFindings])})
		if err != nil {
			return fmt.Errorf("week %d: %w", w+1, err)
		}
		d := time.Since(start).Seconds()
		r.WeekSeconds = append(r.WeekSeconds, d)
		r.Rows += int64(run.Accounts)
		r.Findings += int64(run.Findings)
		slog.Info("week written", "week", w+1, "accounts", run.Accounts, "findings", run.Findings, "seconds", fmt.Sprintf("%.2f", d))
	}
	return nil
}

// writeLast writes week W with a finding per built-in check per account.
func writeLast(ctx context.Context, c config, r *result) error {
	s, err := open(ctx, c)
	if err != nil {
		return err
	}
	defer s.Close()
	runs, err := s.Runs(ctx)
	if err != nil {
		return err
	}
	for _, run := range runs {
		if weekOf(run.FirstAsOf).Equal(weekStart(c.weeks - 1)) {
			return fmt.Errorf("week %d is already in the store (run %d; drop the store first)", c.weeks, run.ID)
		}
	}
	f := newFleet(c.accounts, c.seed)
	start := time.Now()
	run, err := s.WriteRun(ctx, history.RunInput{WrittenAt: weekStart(c.weeks - 1).Add(time.Hour), ToolVersion: "bench", Accounts: f.week(c.weeks-1, checks)})
	if err != nil {
		return err
	}
	if run.Existing {
		return fmt.Errorf("week %d is already in the store (drop it first)", c.weeks)
	}
	r.WeekSeconds = []float64{time.Since(start).Seconds()}
	r.Rows, r.Findings = int64(run.Accounts), int64(run.Findings)
	return nil
}

// generate only generates week W's records (what write's time includes
// besides the store).
func generate(c config, r *result) error {
	f := newFleet(c.accounts, c.seed)
	for rec, err := range f.week(c.weeks-1, checks) {
		if err != nil {
			return err
		}
		r.Rows++
		r.Findings += int64(len(rec.Findings))
	}
	return nil
}

// size reports the store's size on disk in Rows (bytes): the SQLite file
// and its WAL, or pg_database_size.
func size(ctx context.Context, c config, r *result) error {
	if c.backend == "postgres" {
		db, err := sql.Open("pgx", c.admin)
		if err != nil {
			return err
		}
		defer db.Close()
		return db.QueryRowContext(ctx, `SELECT pg_database_size($1)`, dbName(c)).Scan(&r.Rows)
	}
	path := strings.TrimPrefix(c.url, "sqlite:")
	for _, suffix := range []string{"", "-wal"} {
		fi, err := os.Stat(path + suffix)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err == nil {
			r.Rows += fi.Size()
		}
	}
	return nil
}

func until(c config) time.Time {
	if c.studyWeeks <= 0 || c.studyWeeks >= c.weeks {
		return time.Time{}
	}
	return weekStart(c.studyWeeks).Add(-24 * time.Hour)
}

// count is the floor: one scan of the observations, counting them.
// sumAll reads every column the study reads, inside the database: the
// engine's cost of decoding the facts, without a driver.
const sumAll = `SELECT count(*), sum(length(account) + length(name) + length(org) + length(ou_path) + run_id
	+ coalesce(created_at_us, 0) % 7 + coalesce(password_last_used_us, 0) % 7 + CASE WHEN root_unread THEN 1 ELSE 0 END
	+ CASE WHEN key1_active THEN 1 ELSE 0 END + coalesce(key1_last_rotated_us, 0) % 7 + coalesce(key1_last_used_us, 0) % 7
	+ CASE WHEN key2_active THEN 1 ELSE 0 END + coalesce(key2_last_rotated_us, 0) % 7 + coalesce(key2_last_used_us, 0) % 7
	+ CASE WHEN mfa THEN 1 ELSE 0 END + coalesce(assets, 0) + coalesce(exact_sign_ins, 0) + coalesce(exact_sign_ins_without_mfa, 0)
	+ coalesce(exact_key_signed_calls, 0)) FROM observations`

// count is the floor: one scan of the observations, counting them
// (count); or counting them in the table itself rather than the smallest
// index SQLite picks (count-table; PostgreSQL's count already scans the
// table); or reading every column in the database (sum-all).
func count(ctx context.Context, c config, name string, r *result) error {
	driver, dsn := "pgx", c.url
	if c.backend == "sqlite" {
		driver, dsn = "sqlite", strings.TrimPrefix(c.url, "sqlite:")
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	q := `SELECT count(*), 0 FROM observations`
	switch name {
	case "count-table":
		if c.backend == "sqlite" {
			q = `SELECT count(*), 0 FROM observations NOT INDEXED`
		}
	case "sum-all":
		q = sumAll
	}
	var args []any
	if u := until(c); !u.IsZero() {
		q, args = q+` WHERE as_of_us < $1`, []any{u.UnixMicro()}
		if c.backend == "sqlite" {
			q = strings.Replace(q, "$1", "?", 1)
		}
		r.StudyWeeks = c.studyWeeks
	}
	start := time.Now()
	var sum int64
	if err := db.QueryRowContext(ctx, q, args...).Scan(&r.Rows, &sum); err != nil {
		return err
	}
	slog.Info("counted", "query", name, "rows", r.Rows, "seconds", time.Since(start).Seconds())
	return nil
}

// read streams the observations to a no-op (floor) or the study.
func read(ctx context.Context, c config, name string, r *result) error {
	start := time.Now()
	s, err := history.Open(ctx, c.url)
	if err != nil {
		return err
	}
	r.OpenSeconds = time.Since(start).Seconds()
	defer s.Close()
	filter := history.ObservationFilter{Until: until(c)}
	if !filter.Until.IsZero() {
		r.StudyWeeks = c.studyWeeks
	}
	if name == "floor" {
		return s.Observations(ctx, filter, func(history.Observation) error { r.Rows++; return nil })
	}
	opts := study.DefaultOptions()
	opts.Ordered = true // the store's order, as rootwatch study sets it
	st, err := study.New(opts)
	if err != nil {
		return err
	}
	if err := s.Observations(ctx, filter, func(o history.Observation) error {
		r.Rows++
		return st.Add(o)
	}); err != nil {
		return err
	}
	res := st.Result()
	r.Detail = map[string]any{"weeks": len(res.Weeks), "accounts": res.Period.Accounts, "orgs": res.Period.Orgs,
		"uses": res.Period.Uses, "key_uses": res.Period.KeyUses, "console_uses": res.Period.ConsoleUses,
		"repeat_offenders": res.Period.RepeatOffenders, "accounts_with_root_keys": res.Period.AccountsWithRootKeys,
		"offenders_listed": len(res.Offenders), "key_holders_listed": len(res.KeyHolders)}
	return nil
}

func vmHWM() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

func load() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func weekStart(w int) time.Time { return firstWeek.AddDate(0, 0, 7*w) }

func weekOf(t time.Time) time.Time {
	w := int(t.Sub(firstWeek) / (7 * 24 * time.Hour))
	return weekStart(w)
}

// fleet is the generated fleet: each account's lasting traits, and each
// week's facts drawn from a hash of (seed, account, week), so any week
// can be generated on its own.
type fleet struct {
	seed uint64
	accs []acct
}

type acct struct {
	id       string
	org      string
	ou       string
	created  time.Time
	assets   int
	mfa      bool
	hardware bool
	password bool
	keyed    bool
	keyRot   time.Time
	trail    bool // CloudTrail read: exact counts kept
}

// mix is splitmix64.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// unit is a uniform number in [0, 1) from the hash of its keys.
func unit(keys ...uint64) float64 {
	var b [8]byte
	h := uint64(0x5851f42d4c957f2d)
	for _, k := range keys {
		binary.LittleEndian.PutUint64(b[:], k)
		h = mix(h ^ binary.LittleEndian.Uint64(b[:]))
	}
	return float64(h>>11) / (1 << 53)
}

func newFleet(n int, seed uint64) *fleet {
	f := &fleet{seed: seed, accs: make([]acct, n)}
	org, left := 0, 0
	teams := []string{"Prod", "Dev", "Staging", "Security", "Data", "Sandbox"}
	for i := range f.accs {
		if left == 0 {
			org++
			left = 1 + int(unit(seed, uint64(org), 1)*11) // 1..11 accounts, about 6
		}
		left--
		u := func(k uint64) float64 { return unit(seed, uint64(i), k) }
		a := acct{
			id:       strconv.Itoa(100000000000 + i),
			org:      fmt.Sprintf("o-%010d", org),
			ou:       "Root/Workloads/" + teams[int(u(2)*float64(len(teams)))],
			assets:   int(math.Exp(u(3) * math.Log(3000))),
			mfa:      u(4) < 0.90,
			password: u(6) < 0.85,
			keyed:    u(7) < 0.06,
			trail:    u(9) < 0.10,
		}
		a.hardware = a.mfa && u(5) < 0.5
		if u(10) < 0.03 { // created during the year
			a.created = firstWeek.Add(time.Duration(u(11)*52*7*24) * time.Hour)
		} else {
			a.created = firstWeek.Add(-time.Duration(30+u(11)*8*365) * 24 * time.Hour)
		}
		if a.keyed {
			if u(8) < 0.96 {
				a.keyRot = firstWeek.Add(-time.Duration(100+u(12)*2000) * 24 * time.Hour)
			} else {
				a.keyRot = firstWeek.Add(-time.Duration(u(12)*20) * 24 * time.Hour)
			}
		}
		f.accs[i] = a
	}
	return f
}

// week yields week w's audit: the accounts created by then, with the
// findings of the given checks.
func (f *fleet) week(w int, withChecks []string) iter.Seq2[history.AccountRecord, error] {
	day := 24 * time.Hour
	return func(yield func(history.AccountRecord, error) bool) {
		for i := range f.accs {
			a := &f.accs[i]
			// Each report generated some minutes after the week's start.
			asOf := weekStart(w).Add(time.Duration(i%3600) * time.Second)
			if a.created.After(asOf) {
				continue
			}
			u := func(k uint64) float64 { return unit(f.seed, uint64(i), uint64(w), k) }
			o := history.Observation{Account: a.id, Name: "acct-" + a.id, Org: a.org, OUPath: a.ou, AsOf: asOf, CreatedAt: a.created, MFA: a.mfa,
				Assets: new(a.assets)}
			consoleUse, keyUse := false, false
			if u(1) < 0.002 {
				o = history.Observation{Account: a.id, Name: "acct-" + a.id, Org: a.org, OUPath: a.ou, AsOf: asOf, RootUnread: true}
			} else {
				if a.password {
					switch x := u(2); {
					case x < 0.03:
						consoleUse = true
						o.PasswordLastUsed = asOf.Add(-time.Duration(u(3) * float64(6*day)))
					case x < 0.70:
						o.PasswordLastUsed = asOf.Add(-time.Duration(8+u(3)*400) * day)
					}
				}
				if a.keyed {
					o.Keys[0] = history.KeyFacts{Active: true, LastRotated: a.keyRot, LastUsed: asOf.Add(-time.Duration(30+u(4)*300) * day)}
					if u(5) < 1.0/6 {
						keyUse = true
						o.Keys[0].LastUsed = asOf.Add(-time.Duration(u(6) * float64(6*day)))
					}
				}
				if a.trail {
					o.Exact = &history.ExactCounts{}
					if consoleUse {
						o.Exact.SignIns = 1 + int(u(7)*3)
						if !a.mfa {
							o.Exact.SignInsWithoutMFA = o.Exact.SignIns
						}
					}
					if keyUse {
						o.Exact.KeySignedCalls = 1 + int(u(8)*200)
					}
				}
			}
			rec := history.AccountRecord{Observation: o}
			for _, check := range withChecks {
				rec.Findings = append(rec.Findings, finding(check, a, o, consoleUse, keyUse, u(20)))
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// finding is the check's verdict on the account, as the engine's would
// read: status, severity and a message of a realistic length.
func finding(check string, a *acct, o history.Observation, consoleUse, keyUse bool, x float64) history.Finding {
	resource := "arn:aws:iam::" + a.id + ":root"
	status, severity, msg := "pass", "high", "root has MFA"
	fail := func(b bool, failMsg, passMsg string) {
		if b {
			status, msg = "fail", failMsg
		} else {
			status, msg = "pass", passMsg
		}
	}
	switch check {
	case "root-mfa-enabled":
		severity = "critical"
		fail(!a.mfa, "root has no MFA device", "root has MFA")
	case "root-hardware-mfa":
		fail(!a.hardware, "root's MFA is a virtual device (arn:aws:iam::"+a.id+":mfa/root-account-mfa-device)", "root's MFA devices are all hardware")
	case "root-access-key-present":
		severity = "critical"
		fail(a.keyed, "1 active root access key (AKIA…)", "no active root access key")
	case "root-access-key-stale":
		fail(a.keyed && o.AsOf.Sub(a.keyRot) > 90*24*time.Hour, "root access key 1 last rotated over 90 days ago", "no active root access key older than 90 days")
	case "root-access-key-used":
		severity = "critical"
		fail(keyUse, "root access key 1 used in the last 7 days", "no root access key used in the last 7 days")
	case "root-recent-use":
		fail(consoleUse || keyUse, "root used in the last 7 days ("+o.PasswordLastUsed.Format(time.RFC3339)+")", "root not used in the last 7 days")
	case "root-console-login-without-mfa":
		fail(consoleUse && !a.mfa, "root signed in to the console without MFA", "no root console sign-in without MFA")
	case "root-scp-guardrail":
		severity = "medium"
		fail(x < 0.6, "no SCP denies root in this account (effective policies: FullAWSAccess)", "an SCP denies root unless MFA is present")
	case "root-usage-alarm":
		severity = "medium"
		fail(x < 0.5, "no CloudWatch alarm on the CIS root usage metric filter", "the root usage metric filter and alarm exist")
	case "root-signing-certificate":
		severity = "medium"
		fail(false, "", "no root signing certificate")
	case "security-contact-registered", "alternate-contacts", "budget-alert":
		status, severity, msg = "manual", "low", "not in credential reports; a live audit reads it"
	case "centralized-root-access":
		status, severity, msg = "not_applicable", "medium", "read with 'audit --org' from the management account"
	}
	return history.Finding{ID: engine.FindingID(check, a.id, resource), Check: check, Status: status, Severity: severity,
		Account: a.id, Org: a.org, Resource: resource, Message: msg}
}
