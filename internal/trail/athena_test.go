package trail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
)

// duckdb runs a query written for Athena on DuckDB over CloudTrail files
// (scripts/duckdb/query.mjs, with the table shaped like Athena's), and
// returns the rows. The test is skipped where Node.js or the DuckDB package
// is missing; scripts/test.sh installs it.
func duckdb(t *testing.T, sql, glob string) []map[string]string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("SQL test skipped: node is not installed")
	}
	dir, _ := filepath.Abs("../../scripts/duckdb")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skipf("SQL test skipped: run 'npm ci --prefix %s' (scripts/test.sh does)", dir)
	}
	q := filepath.Join(t.TempDir(), "query.sql")
	if err := os.WriteFile(q, []byte(sql), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(dir, "query.mjs"), q, glob)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb: %v\n%s\nquery:\n%s", err, stderr.String(), sql)
	}
	var rows []map[string]string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var row map[string]string
		if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
			t.Fatalf("row %s: %v", sc.Text(), err)
		}
		rows = append(rows, row)
	}
	return rows
}

// sqlCorpus copies the samples into one folder: the two AWS documentation
// examples and variants covering each branch of the classifier, one of
// them twice (a second delivery).
func sqlCorpus(t *testing.T) string {
	dir := t.TempDir()
	for _, name := range []string{"aws-docs-console-sign-in.json", "aws-docs-assume-root.json", "variants.json", "assume-root-elsewhere.json"} {
		data := fixture(t, name)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	again := fixture(t, "variants.json")
	if err := os.WriteFile(filepath.Join(dir, "variants-again.json"), again, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func eventLine(ev Event) string {
	b, _ := json.Marshal(ev)
	return string(b)
}

// The Athena query and the Go classifier agree, event for event and field
// for field, on the same records, run on a real SQL engine (DuckDB) over a
// table shaped like Athena's CloudTrail table.
func TestAthenaSQLAgreesWithClassifier_DuckDB(t *testing.T) {
	dir := sqlCorpus(t)
	for _, tc := range []struct {
		name string
		f    Filter
	}{
		{"everything", Filter{}},
		{"with --all", Filter{All: true}},
		{"a time window", Filter{Since: time.Date(2022, 11, 10, 16, 24, 34, 0, time.UTC), Until: time.Date(2024, 3, 2, 0, 0, 0, 0, time.UTC)}},
		{"accounts and regions", Filter{Accounts: map[string]bool{"444455556666": true, "222222222222": true}, Regions: map[string]bool{"us-east-1": true, "us-west-2": true}}},
		// The AssumeRoot calls are outside these windows, their sessions'
		// actions inside: the join still names the caller.
		{"AssumeRoot just before --since", Filter{Since: time.Date(2024, 6, 10, 12, 0, 0, 0, time.UTC)}},
		{"AssumeRoot in another region", Filter{Regions: map[string]bool{"us-east-1": true}, Accounts: map[string]bool{"333333333333": true}}},
		{"AssumeRoot long before --since", Filter{Since: time.Date(2024, 10, 25, 20, 53, 0, 0, time.UTC), Until: time.Date(2024, 10, 26, 0, 0, 0, 0, time.UTC)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var goEvents []string
			_, err := Scan(context.Background(), LocalInputs([]string{dir}, nil, &tc.f), ScanOptions{Filter: tc.f},
				func(ev Event) error { goEvents = append(goEvents, eventLine(ev)); return nil }, nil)
			if err != nil {
				t.Fatal(err)
			}
			var sqlEvents []string
			for _, row := range duckdb(t, AthenaSQL(SQLOptions{Table: "cloudtrail_logs", Filter: tc.f}), filepath.Join(dir, "*.json")) {
				ev, err := EventFromRow(row)
				if err != nil {
					t.Fatalf("row %v: %v", row, err)
				}
				sqlEvents = append(sqlEvents, eventLine(ev))
			}
			sort.Strings(goEvents)
			sort.Strings(sqlEvents)
			if len(goEvents) == 0 {
				t.Fatal("no events: the corpus tests nothing")
			}
			if strings.Join(goEvents, "\n") != strings.Join(sqlEvents, "\n") {
				t.Errorf("Go classifier (%d events):\n%s\n\nAthena SQL on DuckDB (%d events):\n%s", len(goEvents), strings.Join(goEvents, "\n"), len(sqlEvents), strings.Join(sqlEvents, "\n"))
			}
		})
	}
}

// The corpus reaches every kind, session and MFA value, so agreement means
// something.
func TestSQLCorpusCoversTheClassifier(t *testing.T) {
	dir := sqlCorpus(t)
	seen := map[string]bool{}
	_, err := Scan(context.Background(), LocalInputs([]string{dir}, nil, &Filter{All: true}), ScanOptions{Filter: Filter{All: true}}, func(ev Event) error {
		seen["kind="+ev.Kind] = true
		seen["session="+ev.Session] = true
		seen["mfa="+ev.MFA] = true
		seen[fmt.Sprint("success=", ev.Success)] = true
		seen[fmt.Sprint("by_service=", ev.ByService)] = true
		return nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"kind=console-login", "kind=api-call", "kind=credential-change", "kind=assume-root",
		"session=access-key", "session=console", "session=assume-root", "session=unknown", "session=",
		"mfa=yes", "mfa=no", "mfa=unknown", "success=true", "success=false", "by_service=true", "by_service=false"} {
		if !seen[want] {
			t.Errorf("the corpus has no event with %s", want)
		}
	}
}

// Partition pruning and the Lake dialect, as text.
func TestSQLText(t *testing.T) {
	f := Filter{Since: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 5, 8, 0, 0, 0, 0, time.UTC),
		Accounts: map[string]bool{"111122223333": true}, Regions: map[string]bool{"eu-west-1": true}}
	athena := AthenaSQL(SQLOptions{Table: "security.cloudtrail_logs", Filter: f, Partitions: "timestamp"})
	for _, want := range []string{`"timestamp" >= '2024/04/30'`, `"timestamp" <= '2024/05/09'`, "eventtime >= '2024-04-30T23:40:00Z'", "eventtime >= '2024-05-01T00:00:00Z' AND", "FROM security.cloudtrail_logs", `"$path" AS source`} {
		if !strings.Contains(athena, want) {
			t.Errorf("Athena SQL lacks %s", want)
		}
	}
	withMgmt := f
	withMgmt.AlsoRead = map[string]bool{"111111111111": true}
	if q := AthenaSQL(SQLOptions{Table: "t", Filter: withMgmt, Partitions: "account,region,year,month,day"}); !strings.Contains(q, "account IN ('111111111111', '111122223333')") ||
		!strings.Contains(q, "WHERE e.in_window AND (e.account IN ('111122223333') OR e.target_account IN ('111122223333'))") ||
		!strings.Contains(q, "(region IN ('eu-west-1') OR account IN ('111111111111'))") {
		t.Errorf("the management account's partition is not read, or its events are kept: %s", q)
	}
	org := AthenaSQL(SQLOptions{Table: "t", Filter: f, Partitions: "account,region,year,month,day"})
	for _, want := range []string{"account IN ('111122223333')", "region IN ('eu-west-1')", "concat(year, '/', month, '/', day) >= '2024/04/30'"} {
		if !strings.Contains(org, want) {
			t.Errorf("partitioned SQL lacks %s", want)
		}
	}
	lake := LakeSQL(SQLOptions{Table: "a1b2c3d4-eds", Filter: f})
	for _, want := range []string{"element_at(requestparameters, 'userName')", "json_extract_scalar(element_at(requestparameters, 'taskPolicyArn'), '$.arn')",
		"eventtime >= timestamp '2024-04-30 23:40:00'", "eventtime >= timestamp '2024-05-01 00:00:00' AND", "FROM a1b2c3d4-eds", "'cloudtrail-lake:a1b2c3d4-eds' AS source"} {
		if !strings.Contains(lake, want) {
			t.Errorf("Lake SQL lacks %s", want)
		}
	}
	q := AthenaSQL(SQLOptions{Table: "t", Filter: Filter{Regions: map[string]bool{"x' OR '1'='1": true}}})
	if !strings.Contains(q, "'x'' OR ''1''=''1'") {
		t.Errorf("a value is not quoted: %s", q)
	}
}

// cancelling is an AthenaAPI whose status call fails because the run was
// interrupted meanwhile (_Fake: Athena's own behaviour is not emulated).
type cancelling struct {
	AthenaAPI
	cancel  func()
	stopped bool
}

func (c *cancelling) StartQueryExecution(context.Context, *athena.StartQueryExecutionInput, ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error) {
	return &athena.StartQueryExecutionOutput{QueryExecutionId: aws.String("q-1")}, nil
}

func (c *cancelling) GetQueryExecution(ctx context.Context, _ *athena.GetQueryExecutionInput, _ ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error) {
	c.cancel()
	return nil, ctx.Err()
}

func (c *cancelling) StopQueryExecution(ctx context.Context, _ *athena.StopQueryExecutionInput, _ ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error) {
	c.stopped = ctx.Err() == nil
	return &athena.StopQueryExecutionOutput{}, nil
}

// Interrupted while asking for the query's status, the query is stopped
// (with a context of its own), so Athena scans no more.
func TestAthenaStopsTheQueryWhenInterrupted_Fake(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	api := &cancelling{cancel: cancel}
	_, err := RunAthena(ctx, api, AthenaQuery{SQL: "SELECT 1", Database: "db"}, func(Event) error { return nil })
	if !errors.Is(err, context.Canceled) || !api.stopped {
		t.Errorf("err %v, stopped %v", err, api.stopped)
	}
}
