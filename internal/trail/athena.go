package trail

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SQLOptions say which table a query reads and what it keeps.
type SQLOptions struct {
	// Table is the table, qualified as needed ("db.cloudtrail_logs"); for
	// CloudTrail Lake, the event data store ID.
	Table  string
	Filter Filter
	// Partitions names the table's partition columns, for pruning: "timestamp"
	// (AWS's partition-projection table, yyyy/MM/dd), or "account,region,
	// year,month,day" / "region,year,month,day" (partitioned tables);
	// empty: none.
	Partitions string
}

// SQLColumns are the query's output columns: the jsonl contract's fields
// (source is the object the row came from) and the ones only some kinds
// have.
func SQLColumns() []string {
	return []string{"event_id", "event_time", "account", "region", "event_source", "event_name", "kind", "success", "mfa",
		"access_key_id", "source_ip", "user_agent", "source", "session", "invoked_by", "error_code", "caller", "target_account",
		"task_policy", "by_service"}
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func quoteList(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = quote(x)
	}
	return strings.Join(q, ", ")
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// AthenaSQL is the root classifier as one query for Amazon Athena (Trino)
// over the table AWS documents for CloudTrail logs: the same kinds,
// sessions, MFA and success as Classify, AssumeRoot sessions joined to the
// member's events, duplicates removed, partitions pruned. Tests run it on
// DuckDB over the same records Classify reads and require the same events.
func AthenaSQL(o SQLOptions) string { return buildSQL(o, false) }

// LakeSQL is the same query for CloudTrail Lake, whose event data stores
// hold requestParameters, responseElements and additionalEventData as
// maps (nested objects as JSON text) and eventTime as a timestamp, and
// have no object path: source is the event data store.
func LakeSQL(o SQLOptions) string { return buildSQL(o, true) }

func buildSQL(o SQLOptions, lake bool) string {
	lc := func(x string) string { return "lower(coalesce(" + x + ", ''))" }
	e := func(x string) string { return "coalesce(" + x + ", '')" }
	js := func(col, path string) string { return "json_extract_scalar(" + col + ", '$." + path + "')" }
	timeLit := func(t time.Time) string { return quote(t.UTC().Format(time.RFC3339)) }
	eventTime, source := "eventtime", `"$path"`
	if lake {
		js = func(col, path string) string {
			first, rest, nested := strings.Cut(path, ".")
			if !nested {
				return "element_at(" + col + ", " + quote(first) + ")"
			}
			return "json_extract_scalar(element_at(" + col + ", " + quote(first) + "), '$." + rest + "')"
		}
		timeLit = func(t time.Time) string { return "timestamp " + quote(t.UTC().Format("2006-01-02 15:04:05")) }
		eventTime, source = "CAST(eventtime AS varchar)", quote("cloudtrail-lake:"+o.Table)
	}
	isAssumeRoot := "(eventname = 'AssumeRoot' AND eventsource = 'sts.amazonaws.com')"
	isLogin := "(eventname = 'ConsoleLogin' AND eventsource = 'signin.amazonaws.com')"
	yesNo := func(x string) string {
		return "CASE WHEN " + lc("trim("+x+")") + " IN ('yes', 'true') THEN 'yes' WHEN " + lc("trim("+x+")") + " IN ('no', 'false') THEN 'no' ELSE 'unknown' END"
	}
	// AssumeRoot is the management side's role calling: never a service's.
	byService := "(NOT " + isAssumeRoot + " AND (" + e("eventtype") + " = 'AwsServiceEvent' OR (" + e("useridentity.invokedby") + " <> '' AND useridentity.invokedby NOT IN (" + quoteList(ConsoleInvokers()) + "))))"
	var outcomes []string
	for _, n := range SigninOutcomeEvents() {
		outcomes = append(outcomes, "WHEN "+quote(n)+" THEN "+js("responseelements", n))
	}
	signinOutcome := "CASE eventname " + strings.Join(outcomes, " ") + " END"
	onRoot := "(" + lc(js("requestparameters", "userName")) + " IN ('', 'aws root user', 'root'))"
	kind := "CASE WHEN " + isAssumeRoot + " THEN 'assume-root' WHEN " + isLogin + " THEN 'console-login' " +
		"WHEN eventname IN (" + quoteList(CredentialChangeEvents()) + ") AND " + onRoot + " THEN 'credential-change' ELSE 'api-call' END"
	noError := "(" + e("errorcode") + " = '')"
	success := "CASE WHEN " + isAssumeRoot + " THEN " + noError +
		" WHEN " + isLogin + " THEN " + lc(js("responseelements", "ConsoleLogin")) + " = 'success' AND " + noError +
		" WHEN eventsource = 'signin.amazonaws.com' AND " + e(signinOutcome) + " <> '' THEN " + lc(signinOutcome) + " = 'success' AND " + noError +
		" ELSE " + noError + " END"
	key := e("useridentity.accesskeyid")
	session := "CASE WHEN " + isAssumeRoot + " OR " + isLogin + " THEN '' WHEN eventsource = 'signin.amazonaws.com' THEN 'console' " +
		"WHEN " + key + " LIKE 'AKIA%' THEN 'access-key' WHEN " + lc("sessioncredentialfromconsole") + " = 'true' THEN 'console' " +
		"WHEN useridentity.invokedby IN (" + quoteList(ConsoleInvokers()) + ") THEN 'console' ELSE 'unknown' END"
	mfa := "CASE WHEN " + isAssumeRoot + " THEN " + yesNo("useridentity.sessioncontext.attributes.mfaauthenticated") +
		" WHEN " + isLogin + " THEN " + yesNo(js("additionaleventdata", "MFAUsed")) +
		" WHEN eventsource = 'signin.amazonaws.com' THEN 'unknown' WHEN " + key + " LIKE 'AKIA%' THEN 'no' ELSE " +
		yesNo("useridentity.sessioncontext.attributes.mfaauthenticated") + " END"

	var where []string
	where = append(where, "(useridentity.type = 'Root' OR "+isAssumeRoot+")")
	if !o.Filter.All {
		where = append(where, "NOT "+byService)
	}
	f := o.Filter
	// AssumeRoot calls are read a little before Since and in every region,
	// for the join (Filter.joinOnly); in_window says what is written.
	inWindow := []string{"true"}
	if !f.Since.IsZero() {
		where = append(where, "eventtime >= "+timeLit(f.Since.Add(-assumeRootLead)))
		inWindow = append(inWindow, "eventtime >= "+timeLit(f.Since))
	}
	if !f.Until.IsZero() {
		where = append(where, "eventtime < "+timeLit(f.Until))
	}
	if len(f.Regions) > 0 {
		regions := "awsregion IN (" + quoteList(sortedKeys(f.Regions)) + ")"
		where = append(where, "("+regions+" OR "+isAssumeRoot+")")
		inWindow = append(inWindow, e("awsregion")+" IN ("+quoteList(sortedKeys(f.Regions))+")")
	}
	if !lake {
		where = append(where, partitionPruning(o)...)
	}

	selectRoot := `SELECT
    ` + e("eventid") + ` AS event_id,
    ` + eventTime + ` AS event_time,
    CASE WHEN ` + e("useridentity.accountid") + ` <> '' THEN useridentity.accountid ELSE ` + e("recipientaccountid") + ` END AS account,
    ` + e("awsregion") + ` AS region,
    ` + e("eventsource") + ` AS event_source,
    eventname AS event_name,
    ` + kind + ` AS kind,
    ` + success + ` AS success,
    ` + mfa + ` AS mfa,
    CASE WHEN ` + isLogin + ` THEN '' WHEN ` + isAssumeRoot + ` THEN ` + e(js("responseelements", "credentials.accessKeyId")) + ` ELSE ` + key + ` END AS access_key_id,
    ` + e("sourceipaddress") + ` AS source_ip,
    ` + e("useragent") + ` AS user_agent,
    ` + source + ` AS source,
    ` + session + ` AS session,
    CASE WHEN ` + isAssumeRoot + ` THEN '' ELSE ` + e("useridentity.invokedby") + ` END AS invoked_by,
    ` + e("errorcode") + ` AS error_code,
    CASE WHEN ` + isAssumeRoot + ` THEN ` + e("useridentity.arn") + ` ELSE '' END AS caller,
    CASE WHEN ` + isAssumeRoot + ` THEN ` + e(js("requestparameters", "targetPrincipal")) + ` ELSE '' END AS target_account,
    CASE WHEN ` + isAssumeRoot + ` THEN ` + e(js("requestparameters", "taskPolicyArn.arn")) + ` ELSE '' END AS task_policy,
    ` + byService + ` AS by_service,
    ` + strings.Join(inWindow, " AND ") + ` AS in_window
  FROM ` + o.Table + `
  WHERE ` + strings.Join(where, "\n    AND ")

	keep := "\nWHERE e.in_window"
	if len(f.Accounts) > 0 {
		list := quoteList(sortedKeys(f.Accounts))
		keep += " AND (e.account IN (" + list + ") OR e.target_account IN (" + list + "))"
	}
	cols := SQLColumns()
	var outCols, groupCols []string
	for _, c := range cols {
		switch c {
		case "source":
			outCols = append(outCols, "min(e.source) AS source")
		case "session":
			outCols = append(outCols, "CASE WHEN e.session = 'unknown' AND s.access_key_id IS NOT NULL THEN 'assume-root' ELSE e.session END AS session")
			groupCols = append(groupCols, "e.session", "s.access_key_id")
		case "caller", "task_policy":
			outCols = append(outCols, "CASE WHEN e.session = 'unknown' AND s.access_key_id IS NOT NULL THEN s."+c+" ELSE e."+c+" END AS "+c)
			groupCols = append(groupCols, "e."+c, "s."+c)
		default:
			outCols = append(outCols, "e."+c)
			groupCols = append(groupCols, "e."+c)
		}
	}
	return `-- rootwatch: the root user's events, classified as 'rootwatch trail' does.
WITH root_events AS (
  ` + selectRoot + `
),
-- AssumeRoot sessions (management account): the member's events signed
-- with a session's key were done in that session.
sessions AS (
  SELECT access_key_id, max(caller) AS caller, max(task_policy) AS task_policy
  FROM root_events WHERE kind = 'assume-root' AND access_key_id <> ''
  GROUP BY access_key_id
)
-- One row per event, however many times it was delivered.
SELECT ` + strings.Join(outCols, ",\n  ") + `
FROM root_events e LEFT JOIN sessions s ON e.kind <> 'assume-root' AND e.access_key_id = s.access_key_id` + keep + `
GROUP BY ` + strings.Join(groupCols, ", ") + `
ORDER BY e.event_time, e.account, e.event_id
`
}

// partitionPruning turns the filter into conditions on partition columns,
// so Athena reads only the days, accounts and regions asked for. Days get a
// day of margin: a file is filed under its delivery day.
func partitionPruning(o SQLOptions) []string {
	f := o.Filter
	parts := map[string]bool{}
	for _, p := range strings.Split(o.Partitions, ",") {
		parts[strings.TrimSpace(p)] = true
	}
	var out []string
	day := func(t time.Time, d int) time.Time { return t.UTC().Truncate(24*time.Hour).AddDate(0, 0, d) }
	if parts["timestamp"] {
		if !f.Since.IsZero() {
			out = append(out, `"timestamp" >= `+quote(day(f.Since, -1).Format("2006/01/02")))
		}
		if !f.Until.IsZero() {
			out = append(out, `"timestamp" <= `+quote(day(f.Until, 1).Format("2006/01/02")))
		}
	}
	if parts["year"] && parts["month"] && parts["day"] {
		ymd := "concat(year, '/', month, '/', day)"
		if !f.Since.IsZero() {
			out = append(out, ymd+" >= "+quote(day(f.Since, -1).Format("2006/01/02")))
		}
		if !f.Until.IsZero() {
			out = append(out, ymd+" <= "+quote(day(f.Until, 1).Format("2006/01/02")))
		}
	}
	if parts["account"] && len(f.Accounts) > 0 {
		read := map[string]bool{}
		for _, m := range []map[string]bool{f.Accounts, f.AlsoRead} {
			for a := range m {
				read[a] = true
			}
		}
		out = append(out, "account IN ("+quoteList(sortedKeys(read))+")")
	}
	if parts["region"] && len(f.Regions) > 0 {
		regions := "region IN (" + quoteList(sortedKeys(f.Regions)) + ")"
		if parts["account"] && len(f.AlsoRead) > 0 {
			// The management account's AssumeRoot calls, in any region.
			regions = "(" + regions + " OR account IN (" + quoteList(sortedKeys(f.AlsoRead)) + "))"
		}
		out = append(out, regions)
	}
	return out
}

// EventFromRow reads a row of the query's result (column name to text)
// back into an Event, as Athena returns every value as text.
func EventFromRow(row map[string]string) (Event, error) {
	t, err := ParseTime(row["event_time"])
	if err != nil {
		return Event{}, err
	}
	b := func(k string) bool { v, _ := strconv.ParseBool(row[k]); return v }
	ev := Event{Contract: Contract{EventID: row["event_id"], EventTime: t, Account: row["account"], Region: row["region"], EventSource: row["event_source"],
		EventName: row["event_name"], Kind: row["kind"], Success: b("success"), MFA: row["mfa"], AccessKeyID: row["access_key_id"],
		SourceIP: row["source_ip"], UserAgent: row["user_agent"], Source: row["source"]}, Session: row["session"], InvokedBy: row["invoked_by"],
		ErrorCode: row["error_code"], Caller: row["caller"], TargetAccount: row["target_account"], TaskPolicy: row["task_policy"], ByService: b("by_service")}
	switch ev.Kind {
	case KindConsoleLogin, KindAPICall, KindCredentialChange, KindAssumeRoot:
	default:
		return Event{}, fmt.Errorf("kind %q is not one rootwatch writes", ev.Kind)
	}
	return ev, nil
}
