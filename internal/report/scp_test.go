package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rootwatch/rootwatch/internal/scp"
)

func scpSimulationOf(t *testing.T, name, path string) *SCPSimulation {
	t.Helper()
	g, err := scp.Generate(scp.GenerateOptions{Kind: scp.GenRootIPAllowlist, CIDRs: []string{"203.0.113.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	org := &scp.Org{ID: "o-example", ManagementAccount: "111111111111", Root: "r-ab12",
		Names: map[string]string{"r-ab12": "Root", "ou-ab12-prod0001": path},
		Accounts: []scp.OrgAccount{
			{ID: "111111111111", Name: "management", Parents: []string{"r-ab12"}, Path: "Root"},
			{ID: "222222222222", Name: name, Parents: []string{"r-ab12", "ou-ab12-prod0001"}, Path: path},
		},
		Attached: map[string][]scp.Policy{"r-ab12": {}, "ou-ab12-prod0001": {}, "222222222222": {}},
	}
	p, err := scp.Simulate(org, "r-ab12", g, scp.SimulateOptions{KeepRoot: []string{"222222222222"}, MaxPerTarget: 5})
	if err != nil {
		t.Fatal(err)
	}
	return NewSCPSimulation(org, g, []*scp.Placement{p})
}

func TestSCPSimulationTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteSCPSimulation(&b, "table", scpSimulationOf(t, "prod-a", "Root/Prod")); err != nil {
		t.Fatal(err)
	}
	const want = `Guardrail rootwatch-root-ip-allowlist (deny-outside-ip-ranges): 319 of 10240 characters, centralized-root (AssumeRoot) sessions exempted

At root r-ab12 (Root): 1 account newly covered, 0 covered already, of 1 member account; SCPs attached there: 0 of 5
ACCOUNT       NAME        PATH       NOW   WITH IT                                                    CHANGE
111111111111  management  Root       -     -                                                          never covered: the management account (SCPs do not apply)
222222222222  prod-a      Root/Prod  none  deny-outside-ip-ranges 203.0.113.0/24 (AssumeRoot exempt)  newly covered; break-glass (--keep-root)
Warning: break-glass account 222222222222 (prod-a) keeps its break-glass path only from 203.0.113.0/24: its root must sign in from those ranges
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}

// Account and OU names are whoever controls the organization's: the
// table escapes them for a terminal; JSON keeps them exactly.
func TestSCPSimulationEscapesNames(t *testing.T) {
	const name, path = "evil\x1b[2J\u202e", "Root/\tProd"
	s := scpSimulationOf(t, name, path)
	var b bytes.Buffer
	if err := WriteSCPSimulation(&b, "table", s); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\u202e\t") || !strings.Contains(b.String(), `evil\x1b[2J\u202e`) || !strings.Contains(b.String(), `Root/\x09Prod`) {
		t.Errorf("table not escaped:\n%q", b.String())
	}
	b.Reset()
	if err := WriteSCPSimulation(&b, "json", s); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Placements []struct {
			Accounts []struct{ Name, Path string }
		}
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if a := doc.Placements[0].Accounts[1]; a.Name != name || a.Path != path {
		t.Errorf("json changed the names: %q %q", a.Name, a.Path)
	}
}

type scpFailingWriter struct{}

func (scpFailingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestSCPSimulationWriteErrors(t *testing.T) {
	s := scpSimulationOf(t, "prod-a", "Root/Prod")
	for _, f := range []string{"table", "json"} {
		if err := WriteSCPSimulation(scpFailingWriter{}, f, s); err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := WriteSCPSimulation(&bytes.Buffer{}, "csv", s); err == nil || err.Error() != `unknown format "csv" (valid: table, json)` {
		t.Errorf("csv: %v", err)
	}
}
