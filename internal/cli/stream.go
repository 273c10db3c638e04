package cli

import (
	"context"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/engine"
	"github.com/rootwatch/rootwatch/internal/model"
	"github.com/rootwatch/rootwatch/internal/report"
)

// auditStream judges a snapshot's accounts and streams each account's
// findings to the report writer as soon as they are made: only the
// writer's own aggregates (the table's counts, a spool) and the tally that
// decides the exit code outlive an account, so memory does not grow with
// the fleet's findings.
type auditStream struct {
	eng    *engine.Engine
	writer report.Writer
	header *report.Header
	snap   *model.Snapshot
	// tally counts failing findings and findings in error, for the exit
	// code.
	tally report.Tally
}

func newAuditStream(eng *engine.Engine, w report.Writer, snap *model.Snapshot, tool report.Tool, now time.Time) *auditStream {
	h := &report.Header{GeneratedAt: now.UTC(), Tool: tool, Errors: snap.Errors, Warnings: snap.Warnings}
	for _, c := range eng.CheckInfos() {
		h.Checks = append(h.Checks, report.Check(c))
	}
	// Writers get accounts in ID order (the table lists them so).
	slices.SortStableFunc(snap.Accounts, func(a, b model.Account) int { return strings.Compare(a.ID, b.ID) })
	return &auditStream{eng: eng, writer: w, header: h, snap: snap}
}

// write runs the audit into out. Each account's facts are let go once its
// findings are written: the audit needs them no more, and a fleet's
// snapshot is most of what stays in memory.
func (s *auditStream) write(ctx context.Context, out io.Writer) error {
	if err := s.writer.Begin(out, s.header); err != nil {
		return err
	}
	err := s.eng.EvaluateEach(ctx, s.snap.Accounts, func(i int, fs []model.Finding) error {
		s.tally.Add(fs)
		a := report.NewAccount(&s.snap.Accounts[i], fs)
		if err := s.writer.Account(&a, fs); err != nil {
			return err
		}
		s.snap.Accounts[i] = model.Account{ID: s.snap.Accounts[i].ID}
		return nil
	})
	if err != nil {
		return err
	}
	return s.writer.End()
}
