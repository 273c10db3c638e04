package engine

import (
	"context"
	"runtime"
	"strings"

	"github.com/rootwatch/rootwatch/internal/model"
)

// CheckInfo describes a check as the engine runs it (severity overrides
// applied), for reports that list the checks before the findings.
type CheckInfo struct {
	ID          string
	Title       string
	Severity    string
	Remediation string
	Compliance  map[string][]string
}

// CheckInfos describes the checks the engine runs, in order.
func (e *Engine) CheckInfos() []CheckInfo {
	out := make([]CheckInfo, len(e.checks))
	for i, c := range e.checks {
		comp := c.rule.Compliance
		if comp == nil {
			comp = map[string][]string{}
		}
		out[i] = CheckInfo{ID: c.rule.ID, Title: c.rule.Title, Severity: c.severity,
			Remediation: strings.TrimSpace(c.rule.Remediation), Compliance: comp}
	}
	return out
}

// lookahead is how many accounts the workers may judge ahead of the one
// being handed over: enough to keep every core busy, few enough that the
// findings in flight stay small whatever the fleet's size.
const lookahead = 64

// EvaluateEach judges every account with every check, in parallel, and
// hands each account's findings to fn in the accounts' order, on the
// calling goroutine, as soon as they are ready: nothing of a fleet's
// findings is held beyond a few accounts. It stops at fn's first error, or
// when ctx is done, and returns that error.
func (e *Engine) EvaluateEach(ctx context.Context, accounts []model.Account, fn func(i int, findings []model.Finding) error) error {
	if len(accounts) == 0 {
		return ctx.Err()
	}
	workers := min(runtime.GOMAXPROCS(0), len(accounts))
	// Account i's findings arrive on results[i%lookahead]; a worker takes
	// account i only once i-lookahead has been handed over.
	results := make([]chan []model.Finding, lookahead)
	for i := range results {
		results[i] = make(chan []model.Finding, 1)
	}
	next := make(chan int)
	slots := make(chan struct{}, lookahead)
	done := make(chan struct{})
	defer close(done)
	go func() {
		defer close(next)
		for i := range accounts {
			select {
			case slots <- struct{}{}:
			case <-done:
				return
			}
			select {
			case next <- i:
			case <-done:
				return
			}
		}
	}()
	for range workers {
		go func() {
			for i := range next {
				fs := e.EvaluateAccount(&accounts[i])
				select {
				case results[i%lookahead] <- fs:
				case <-done:
					return
				}
			}
		}()
	}
	for i := range accounts {
		var fs []model.Finding
		select {
		case fs = <-results[i%lookahead]:
		case <-ctx.Done():
			return ctx.Err()
		}
		<-slots
		if err := fn(i, fs); err != nil {
			return err
		}
	}
	return nil
}
