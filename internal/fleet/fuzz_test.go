package fleet

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/model"
)

// FuzzParse feeds Parse arbitrary bytes: it must never panic; a file it
// refuses gets a *Error naming the file; a file it accepts holds valid,
// distinct accounts with consistent totals, and writing them back as CSV
// reads the same accounts again.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil {
		f.Fatal(err)
	}
	if len(files) == 0 {
		f.Fatal("no seed files in testdata")
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		header,
		header + row1,
		header + row1 + row1,
		header + "012345678901,,,,,1,,,,\n",
		header + `012345678901,"a""b` + "\r\nc\",,,,,,,,\n",
		"\xef\xbb\xbf" + strings.ReplaceAll(header, "\n", "\r\n") + strings.ReplaceAll(row1, "\n", "\r\n"),
		"trails,account_id,ec2_instances,s3_buckets,rds_instances,iam_users,ou_path,org_name,org_id,account_name\n0,000000000000,0,0,0,0,,,,\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse(context.Background(), bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			var fe *Error
			if !errors.As(err, &fe) || fe.File != "fuzz.csv" || !strings.HasPrefix(err.Error(), "fleet fuzz.csv") {
				t.Fatalf("error %T does not name the file: %v", err, err)
			}
			return
		}
		if len(fl.Accounts) == 0 {
			t.Fatal("accepted a file with no accounts")
		}
		seen := map[string]bool{}
		for _, a := range fl.Accounts {
			if !model.ValidAccountID(a.ID) || seen[a.ID] {
				t.Fatalf("account %q invalid or listed twice", a.ID)
			}
			seen[a.ID] = true
			if got, ok := fl.Lookup(a.ID); !ok || !reflect.DeepEqual(got, a) {
				t.Fatalf("Lookup(%s) = %+v, %v", a.ID, got, ok)
			}
			if a.OrgID != "" && !orgIDPattern.MatchString(a.OrgID) {
				t.Fatalf("org ID %q accepted", a.OrgID)
			}
			if _, ok := fl.OrgNames[a.OrgID]; a.OrgID != "" && !ok {
				t.Fatalf("org %s has no entry in OrgNames", a.OrgID)
			}
			if as := a.Assets; as != nil {
				for _, n := range []int{as.IAMUsers, as.RDSInstances, as.S3Buckets, as.EC2Instances, as.Trails} {
					if n < 0 || n > maxCount {
						t.Fatalf("count %d accepted", n)
					}
				}
				if sum := as.IAMUsers + as.RDSInstances + as.S3Buckets + as.EC2Instances + as.Trails; as.Total != sum || as.Size != model.SizeOf(sum) {
					t.Fatalf("assets %+v: total or size wrong", as)
				}
			}
		}
		// Written back, the file reads the same.
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(Columns())
		for _, a := range fl.Accounts {
			rec := []string{a.ID, a.Name, a.OrgID, fl.OrgNames[a.OrgID], a.OUPath, "", "", "", "", "", a.Email}
			if as := a.Assets; as != nil {
				for i, n := range []int{as.IAMUsers, as.RDSInstances, as.S3Buckets, as.EC2Instances, as.Trails} {
					rec[5+i] = strconv.Itoa(n)
				}
			}
			_ = w.Write(rec)
		}
		w.Flush()
		again, err := Parse(context.Background(), &buf, "again.csv")
		if err != nil {
			t.Fatalf("written back, not read: %v", err)
		}
		for i, a := range again.Accounts {
			b := fl.Accounts[i]
			a.Line, b.Line = 0, 0
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("written back, account %d reads %+v, was %+v", i, a, b)
			}
		}
		if len(again.Accounts) != len(fl.Accounts) || !reflect.DeepEqual(again.OrgNames, fl.OrgNames) {
			t.Fatalf("written back: %d accounts, orgs %v; was %d, %v", len(again.Accounts), again.OrgNames, len(fl.Accounts), fl.OrgNames)
		}
	})
}
