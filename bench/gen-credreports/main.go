// Command gen-credreports writes a fleet of realistic, deterministic IAM
// credential reports for the audit benchmark (bench/audit.sh): one file per
// account, most as the JSON `aws iam get-credential-report` prints (base64
// CSV in Content, with GeneratedTime), the rest as bare CSV.
//
//	go run ./bench/gen-credreports -n 10000 -out DIR [-seed 1] [-json-share 0.7] [-no-verify]
//
// The same -n and -seed always give byte-identical files. Every report is
// checked with credreport.Parse unless -no-verify. A hidden manifest
// (.manifest.json, skipped by the audit's directory walk) records what was
// generated, so the benchmark can tell whether a corpus is reusable.
package main

import (
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rootwatch/rootwatch/internal/credreport"
)

// epoch is the latest generation time of any report: fixed, so the corpus
// does not depend on the day it is generated.
var epoch = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

// Manifest describes a generated corpus.
type Manifest struct {
	N         int     `json:"n"`
	Seed      uint64  `json:"seed"`
	JSONShare float64 `json:"json_share"`
	JSONFiles int     `json:"json_files"`
	CSVFiles  int     `json:"csv_files"`
	Bytes     int64   `json:"bytes"`
	IAMUsers  int64   `json:"iam_users"`
	MaxUsers  int     `json:"max_users"`
	Generator string  `json:"generator"`
}

const manifestName = ".manifest.json"

var generatedName = regexp.MustCompile(`^[0-9]{12}\.(json|csv)$`)

func main() {
	n := flag.Int("n", 10000, "number of accounts (one report file each)")
	out := flag.String("out", "", "output directory (created; must be empty or hold a previous corpus, which is replaced)")
	seed := flag.Uint64("seed", 1, "random seed")
	jsonShare := flag.Float64("json-share", 0.7, "share of reports written as the CLI's JSON (the rest are bare CSV)")
	noVerify := flag.Bool("no-verify", false, "do not check every report with credreport.Parse")
	flag.Parse()
	if *out == "" || *n <= 0 || *jsonShare < 0 || *jsonShare > 1 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*n, *out, *seed, *jsonShare, !*noVerify); err != nil {
		fmt.Fprintln(os.Stderr, "gen-credreports:", err)
		os.Exit(1)
	}
}

func run(n int, out string, seed uint64, jsonShare float64, verify bool) error {
	if err := prepare(out); err != nil {
		return err
	}
	// Account IDs come from one stream, so they are unique and do not depend
	// on how the files are spread over workers; each file's content comes
	// from its own stream, seeded by (seed, index).
	ids := accountIDs(rand.New(rand.NewPCG(seed, 0x1d5)), n)

	type stat struct {
		json  bool
		bytes int64
		users int
	}
	stats := make([]stat, n)
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				rng := rand.New(rand.NewPCG(seed, uint64(i)+1))
				data, name, users, isJSON := report(rng, ids[i], jsonShare)
				if verify {
					rep, err := credreport.Parse(name, data)
					if err == nil && (rep.Account != ids[i] || rep.Users != users) {
						err = fmt.Errorf("parsed account %s with %d users, generated %s with %d", rep.Account, rep.Users, ids[i], users)
					}
					if err != nil {
						errOnce.Do(func() { firstErr = fmt.Errorf("generated report does not parse: %w", err) })
						return
					}
				}
				if err := os.WriteFile(filepath.Join(out, name), data, 0o644); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
				stats[i] = stat{json: isJSON, bytes: int64(len(data)), users: users}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	m := Manifest{N: n, Seed: seed, JSONShare: jsonShare, Generator: "bench/gen-credreports v1"}
	for _, s := range stats {
		if s.json {
			m.JSONFiles++
		} else {
			m.CSVFiles++
		}
		m.Bytes += s.bytes
		m.IAMUsers += int64(s.users)
		m.MaxUsers = max(m.MaxUsers, s.users)
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(out, manifestName), append(b, '\n'), 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %d reports (%d JSON, %d CSV; %d IAM users, at most %d in one report; %.1f MiB) to %s\n",
		n, m.JSONFiles, m.CSVFiles, m.IAMUsers, m.MaxUsers, float64(m.Bytes)/(1<<20), out)
	return nil
}

// prepare makes out an empty directory, removing a previous corpus (and only
// that) from it.
func prepare(out string) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	ours := false
	for _, e := range entries {
		if e.Name() == manifestName {
			ours = true
		}
	}
	for _, e := range entries {
		if !ours || (e.Name() != manifestName && !generatedName.MatchString(e.Name())) {
			return fmt.Errorf("%s is not empty and holds %s, which this generator did not write; give an empty or new directory", out, e.Name())
		}
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(out, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func accountIDs(rng *rand.Rand, n int) []string {
	seen := make(map[uint64]bool, n)
	ids := make([]string, 0, n)
	for len(ids) < n {
		// Real account IDs are 12 digits and may start with 0.
		v := rng.Uint64N(1_000_000_000_000)
		if seen[v] {
			continue
		}
		seen[v] = true
		ids = append(ids, fmt.Sprintf("%012d", v))
	}
	return ids
}

// userCount is skewed small like real fleets: log-uniform over 1..200, so
// half the accounts have at most 14 IAM users and a few have close to 200.
func userCount(rng *rand.Rand) int {
	return min(200, int(math.Exp(rng.Float64()*math.Log(201))))
}

func chance(rng *rand.Rand, p float64) bool { return rng.Float64() < p }

// stampFmt is how credential reports write times.
const stampFmt = "2006-01-02T15:04:05+00:00"

func ts(t time.Time) string { return t.UTC().Format(stampFmt) }

// between is a random time in [from, to] to the second.
func between(rng *rand.Rand, from, to time.Time) time.Time {
	if !to.After(from) {
		return from
	}
	return from.Add(time.Duration(rng.Int64N(int64(to.Sub(from)/time.Second)+1)) * time.Second)
}

// recent is a time in [from, to] skewed towards to: credentials in use were
// mostly used lately.
func recent(rng *rand.Rand, from, to time.Time) time.Time {
	if !to.After(from) {
		return from
	}
	span := to.Sub(from)
	f := rng.Float64()
	return to.Add(-time.Duration(f * f * f * float64(span))).Truncate(time.Second)
}

var (
	regions  = []string{"us-east-1", "us-east-1", "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1"}
	services = []string{"s3", "sts", "iam", "ec2", "lambda", "dynamodb", "cloudformation", "ecr", "logs", "kms"}
	first    = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki", "zoe"}
	last     = []string{"smith", "jones", "garcia", "mueller", "tanaka", "okafor", "dubois", "kowalski", "silva", "nguyen"}
	svc      = []string{"terraform", "ci-deploy", "github-actions", "jenkins", "backup", "datadog-integration", "splunk-forwarder", "legacy-app", "s3-sync", "monitoring"}
	paths    = []string{"/", "/", "/", "/", "/engineering/", "/service-accounts/", "/contractors/", "/division_abc/subdivision_xyz/"}
)

// report generates one account's credential report and the file name it is
// written as.
func report(rng *rand.Rand, acct string, jsonShare float64) (data []byte, name string, users int, isJSON bool) {
	generated := epoch.Add(-time.Duration(rng.Int64N(int64(72*time.Hour/time.Second))) * time.Second)
	partition := "aws"
	switch r := rng.Float64(); {
	case r < 0.01:
		partition = "aws-us-gov"
	case r < 0.02:
		partition = "aws-cn"
	}
	users = userCount(rng)

	var b strings.Builder
	w := csv.NewWriter(&b)
	w.UseCRLF = chance(rng, 0.05) // a few were saved through tools that write CRLF
	_ = w.Write(credreport.Columns())
	rows := make([][]string, 0, users+1)
	created := rootRow(rng, partition, acct, generated)
	rows = append(rows, created)
	acctCreated, _ := time.Parse(stampFmt, created[2])
	for i := range users {
		rows = append(rows, userRow(rng, partition, acct, i, acctCreated, generated))
	}
	// AWS lists the root row first; a few reports were re-sorted by hand.
	if chance(rng, 0.03) {
		j := rng.IntN(len(rows))
		rows[0], rows[j] = rows[j], rows[0]
	}
	for _, r := range rows {
		_ = w.Write(r)
	}
	w.Flush()
	text := b.String()

	if chance(rng, jsonShare) {
		j := struct {
			Content       string `json:"Content"`
			ReportFormat  string `json:"ReportFormat"`
			GeneratedTime string `json:"GeneratedTime"`
		}{base64.StdEncoding.EncodeToString([]byte(text)), "text/csv", ts(generated)}
		out, _ := json.MarshalIndent(j, "", "    ")
		return append(out, '\n'), acct + ".json", users, true
	}
	return []byte(text), acct + ".csv", users, false
}

func rootRow(rng *rand.Rand, partition, acct string, generated time.Time) []string {
	var created time.Time
	if chance(rng, 0.03) { // a few accounts are days old
		created = between(rng, generated.Add(-25*day), generated.Add(-time.Hour))
	} else {
		created = between(rng, generated.Add(-3500*day), generated.Add(-30*day))
	}
	r := map[string]string{
		"user": credreport.RootUser, "arn": "arn:" + partition + ":iam::" + acct + ":root",
		"user_creation_time":    ts(created),
		"password_last_changed": "not_supported", "password_next_rotation": "not_supported",
	}
	switch p := rng.Float64(); {
	case p < 0.55: // console password, sometimes used
		r["password_enabled"] = "true"
		r["password_last_used"] = "no_information"
		if chance(rng, 0.6) {
			r["password_last_used"] = ts(recent(rng, created, generated))
		}
	case p < 0.9: // member created by Organizations, or credentials removed
		r["password_enabled"] = "false"
		r["password_last_used"] = "N/A"
		if chance(rng, 0.15) {
			r["password_last_used"] = ts(between(rng, created, generated))
		}
	default: // older reports cannot say
		r["password_enabled"] = "not_supported"
		r["password_last_used"] = ts(recent(rng, created, generated))
	}
	r["mfa_active"] = fmt.Sprint(r["password_enabled"] != "false" && chance(rng, 0.75))
	for slot := 1; slot <= 2; slot++ {
		p := fmt.Sprintf("access_key_%d_", slot)
		keyCols(rng, r, p, chance(rng, []float64{0.12, 0.03}[slot-1]), 0.7, created, generated)
		c := fmt.Sprintf("cert_%d_", slot)
		certCols(rng, r, c, chance(rng, 0.01), created, generated)
	}
	return ordered(r)
}

func userRow(rng *rand.Rand, partition, acct string, i int, acctCreated, generated time.Time) []string {
	var name string
	human := chance(rng, 0.6)
	if human {
		name = first[rng.IntN(len(first))] + "." + last[rng.IntN(len(last))]
		if chance(rng, 0.1) {
			name += "@example.com"
		}
	} else {
		name = svc[rng.IntN(len(svc))]
	}
	name += fmt.Sprintf("-%d", i) // unique within the account
	if chance(rng, 0.005) {
		name = "smith,john" + fmt.Sprintf("-%d", i) // IAM allows commas; CSV quotes them
	}
	created := between(rng, acctCreated, generated.Add(-time.Hour))
	r := map[string]string{
		"user": name, "arn": "arn:" + partition + ":iam::" + acct + ":user" + paths[rng.IntN(len(paths))] + name,
		"user_creation_time": ts(created),
	}
	if human && chance(rng, 0.8) || !human && chance(rng, 0.05) {
		changed := between(rng, created, generated)
		r["password_enabled"] = "true"
		r["password_last_changed"] = ts(changed)
		r["password_last_used"] = "no_information"
		if chance(rng, 0.75) {
			r["password_last_used"] = ts(recent(rng, changed, generated))
		}
		r["password_next_rotation"] = "N/A"
		if chance(rng, 0.3) {
			r["password_next_rotation"] = ts(changed.Add(90 * day))
		}
		r["mfa_active"] = fmt.Sprint(chance(rng, 0.65))
	} else {
		r["password_enabled"] = "false"
		r["password_last_used"] = "N/A"
		r["password_last_changed"] = "N/A"
		r["password_next_rotation"] = "N/A"
		r["mfa_active"] = fmt.Sprint(chance(rng, 0.05))
	}
	k1, k2 := 0.35, 0.08
	if !human {
		k1, k2 = 0.9, 0.25
	}
	keyCols(rng, r, "access_key_1_", chance(rng, k1), 0.85, created, generated)
	keyCols(rng, r, "access_key_2_", chance(rng, k2), 0.6, created, generated)
	certCols(rng, r, "cert_1_", chance(rng, 0.02), created, generated)
	certCols(rng, r, "cert_2_", false, created, generated)
	return ordered(r)
}

// keyCols fills an access key slot: absent (false, N/A...), or a key made at
// some point, active with probability pActive, used or never used.
func keyCols(rng *rand.Rand, r map[string]string, p string, exists bool, pActive float64, created, generated time.Time) {
	r[p+"active"], r[p+"last_rotated"], r[p+"last_used_date"], r[p+"last_used_region"], r[p+"last_used_service"] = "false", "N/A", "N/A", "N/A", "N/A"
	if !exists {
		return
	}
	rotated := between(rng, created, generated)
	r[p+"active"] = fmt.Sprint(chance(rng, pActive))
	r[p+"last_rotated"] = ts(rotated)
	if chance(rng, 0.8) {
		r[p+"last_used_date"] = ts(recent(rng, rotated, generated))
		r[p+"last_used_region"] = regions[rng.IntN(len(regions))]
		r[p+"last_used_service"] = services[rng.IntN(len(services))]
	}
}

func certCols(rng *rand.Rand, r map[string]string, p string, exists bool, created, generated time.Time) {
	r[p+"active"], r[p+"last_rotated"] = "false", "N/A"
	if exists {
		r[p+"active"] = fmt.Sprint(chance(rng, 0.8))
		r[p+"last_rotated"] = ts(between(rng, created, generated))
	}
}

func ordered(r map[string]string) []string {
	cols := credreport.Columns()
	out := make([]string, len(cols))
	for i, c := range cols {
		v, ok := r[c]
		if !ok {
			panic(errors.New("generator left column " + c + " empty"))
		}
		out[i] = v
	}
	return out
}
