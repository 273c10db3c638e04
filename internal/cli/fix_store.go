package cli

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rootwatch/rootwatch/internal/fix"
	"github.com/rootwatch/rootwatch/internal/history"
)

// fixRunID names a fix run in the store: its start time and 8 random hex
// digits, so two runs of one second differ.
func fixRunID(now time.Time) (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a fix run ID: %w", err)
	}
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b), nil
}

// fixRecord gathers the run log's entries as they are written (by the
// accounts' goroutines), for the store.
type fixRecord struct {
	mu     sync.Mutex
	kinds  map[string]string // step ID → kind
	logged []fix.Entry
}

func (r *fixRecord) add(e fix.Entry) {
	r.mu.Lock()
	r.logged = append(r.logged, e)
	r.mu.Unlock()
}

// entries are the entries gathered, as the store keeps them.
func (r *fixRecord) entries(runID string) []history.FixEntry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]history.FixEntry, 0, len(r.logged))
	for _, e := range r.logged {
		kind, ok := r.kinds[e.Step]
		if !ok {
			kind, _, _ = strings.Cut(e.Step, "/") // a step ID starts with its kind
		}
		out = append(out, history.FixEntry{RunID: runID, Time: e.Time, Account: e.Account, Region: e.Region, Step: e.Step, Kind: kind,
			Action: e.Action, Params: rawJSON(len(e.Params), e.Params), Result: e.Result, Error: e.Error,
			Output: rawJSON(len(e.Output), e.Output), Undo: rawJSON(len(e.Undo), e.Undo), Irreversible: e.Irreversible, Rollback: e.Rollback})
	}
	return out
}

// rawJSON is v as JSON, nil when it holds nothing (n == 0); what cannot be
// encoded is kept as a JSON string saying why, as the run log does.
func rawJSON(n int, v any) json.RawMessage {
	if n == 0 {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal("unencodable: " + err.Error())
	}
	return b
}
