package trail

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	athenatypes "github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/rootwatch/rootwatch/internal/pause"
)

// AthenaAPI is the part of the Athena client the query runs through.
type AthenaAPI interface {
	StartQueryExecution(context.Context, *athena.StartQueryExecutionInput, ...func(*athena.Options)) (*athena.StartQueryExecutionOutput, error)
	GetQueryExecution(context.Context, *athena.GetQueryExecutionInput, ...func(*athena.Options)) (*athena.GetQueryExecutionOutput, error)
	StopQueryExecution(context.Context, *athena.StopQueryExecutionInput, ...func(*athena.Options)) (*athena.StopQueryExecutionOutput, error)
	athena.GetQueryResultsAPIClient
}

// AthenaQuery is a query to run and where.
type AthenaQuery struct {
	SQL            string
	Database       string
	Workgroup      string
	OutputLocation string // s3://bucket/prefix/ for the results; empty: the workgroup's
	// Poll is the first wait between status checks; it doubles up to 5 s.
	Poll time.Duration
	// Sleep waits; tests make it instant. Nil means a context-aware sleep.
	Sleep func(context.Context, time.Duration) error
}

// AthenaResult says what the query did.
type AthenaResult struct {
	QueryID      string
	Rows         int64
	ScannedBytes int64
	Elapsed      time.Duration
}

// RunAthena runs the query, waits for it, and emits each result row as an
// Event. Interrupted, it stops the query so Athena scans no more.
func RunAthena(ctx context.Context, api AthenaAPI, q AthenaQuery, emit func(Event) error) (AthenaResult, error) {
	in := &athena.StartQueryExecutionInput{QueryString: aws.String(q.SQL), QueryExecutionContext: &athenatypes.QueryExecutionContext{Database: aws.String(q.Database)}}
	if q.Workgroup != "" {
		in.WorkGroup = aws.String(q.Workgroup)
	}
	if q.OutputLocation != "" {
		in.ResultConfiguration = &athenatypes.ResultConfiguration{OutputLocation: aws.String(q.OutputLocation)}
	}
	start, err := api.StartQueryExecution(ctx, in)
	if err != nil {
		return AthenaResult{}, fmt.Errorf("start the Athena query: %w", err)
	}
	res := AthenaResult{QueryID: aws.ToString(start.QueryExecutionId)}
	sleep := q.Sleep
	if sleep == nil {
		sleep = pause.Sleep
	}
	wait := q.Poll
	if wait <= 0 {
		wait = 500 * time.Millisecond
	}
	// Interrupted, the query is stopped: it would go on scanning (and
	// billing).
	stop := func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_, _ = api.StopQueryExecution(stopCtx, &athena.StopQueryExecutionInput{QueryExecutionId: start.QueryExecutionId})
	}
	for {
		st, err := api.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: start.QueryExecutionId})
		if err != nil {
			if ctx.Err() != nil {
				stop()
				return res, ctx.Err()
			}
			return res, fmt.Errorf("query %s on Athena: %w", res.QueryID, err)
		}
		qe := st.QueryExecution
		if qe != nil && qe.Statistics != nil {
			res.ScannedBytes = aws.ToInt64(qe.Statistics.DataScannedInBytes)
			res.Elapsed = time.Duration(aws.ToInt64(qe.Statistics.TotalExecutionTimeInMillis)) * time.Millisecond
		}
		var state athenatypes.QueryExecutionState
		reason := ""
		if qe != nil && qe.Status != nil {
			state, reason = qe.Status.State, aws.ToString(qe.Status.StateChangeReason)
		}
		switch state {
		case athenatypes.QueryExecutionStateSucceeded:
			return res, readResults(ctx, api, start.QueryExecutionId, &res, emit)
		case athenatypes.QueryExecutionStateFailed, athenatypes.QueryExecutionStateCancelled:
			return res, fmt.Errorf("query %s on Athena: %s: %s", res.QueryID, state, reason)
		}
		if err := sleep(ctx, wait); err != nil {
			stop()
			return res, err
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func readResults(ctx context.Context, api AthenaAPI, id *string, res *AthenaResult, emit func(Event) error) error {
	p := athena.NewGetQueryResultsPaginator(api, &athena.GetQueryResultsInput{QueryExecutionId: id})
	var cols []string
	header := true
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("results of query %s on Athena: %w", res.QueryID, err)
		}
		rs := page.ResultSet
		if rs == nil {
			continue
		}
		if cols == nil && rs.ResultSetMetadata != nil {
			for _, c := range rs.ResultSetMetadata.ColumnInfo {
				cols = append(cols, aws.ToString(c.Name))
			}
		}
		for _, r := range rs.Rows {
			row := map[string]string{}
			for i, d := range r.Data {
				if i < len(cols) {
					row[cols[i]] = aws.ToString(d.VarCharValue)
				}
			}
			// A SELECT's first row repeats the column names.
			if header {
				header = false
				if row["event_time"] == "event_time" {
					continue
				}
			}
			ev, err := EventFromRow(row)
			if err != nil {
				return fmt.Errorf("query %s on Athena, row %d: %w", res.QueryID, res.Rows+1, err)
			}
			res.Rows++
			if err := emit(ev); err != nil {
				return err
			}
		}
	}
	return nil
}
