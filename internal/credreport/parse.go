// Package credreport parses IAM credential reports: the CSV as downloaded
// from the console or decoded from the API, and the JSON that
// `aws iam get-credential-report` prints (base64 CSV in Content).
package credreport

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/rootwatch/rootwatch/internal/model"
)

// RootUser is the user column of the root row.
const RootUser = "<root_account>"

// Columns are the credential report columns rootwatch reads; a report
// missing any of them is rejected. Extra columns are ignored.
var columns = [...]string{
	"user", "arn", "user_creation_time", "password_enabled", "password_last_used",
	"password_last_changed", "password_next_rotation", "mfa_active",
	"access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
	"access_key_1_last_used_region", "access_key_1_last_used_service",
	"access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
	"access_key_2_last_used_region", "access_key_2_last_used_service",
	"cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
}

// Columns returns the columns a credential report must have, in AWS's order.
func Columns() []string { return append([]string(nil), columns[:]...) }

// Report is one parsed credential report of one account.
type Report struct {
	Account   string
	Partition string
	// GeneratedAt is the GeneratedTime of an API/CLI response; zero for a
	// bare CSV, which carries none.
	GeneratedAt time.Time
	Root        model.Root
	// Users is the number of IAM user rows (root excluded).
	Users int
}

// Error is a problem with a report, naming where it is.
type Error struct {
	Source string // file name, or "-" for standard input
	Line   int    // 1-based CSV line; 0 when not about a line
	Column string // column name, when about one field
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Source)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %s", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// cliJSON is the output of `aws iam get-credential-report` (and the fields of
// the API's GetCredentialReportOutput).
type cliJSON struct {
	Content       *string `json:"Content"`
	ReportFormat  string  `json:"ReportFormat"`
	GeneratedTime string  `json:"GeneratedTime"`
}

// Parse reads one credential report, CSV or the CLI's JSON, from data.
// source names the input in errors.
func Parse(source string, data []byte) (*Report, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	if len(trimmed) == 0 {
		return nil, &Error{Source: source, Msg: "empty file: not a credential report"}
	}
	if trimmed[0] != '{' {
		return ParseCSV(source, data)
	}
	var j cliJSON
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&j); err != nil {
		return nil, &Error{Source: source, Msg: fmt.Sprintf("invalid JSON: %v (want the output of `aws iam get-credential-report`)", err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &Error{Source: source, Msg: "data after the JSON object (want the output of one `aws iam get-credential-report` per file)"}
	}
	if j.Content == nil {
		return nil, &Error{Source: source, Msg: "JSON has no Content field (want the output of `aws iam get-credential-report`)"}
	}
	if j.ReportFormat != "" && j.ReportFormat != "text/csv" {
		return nil, &Error{Source: source, Msg: fmt.Sprintf("unsupported ReportFormat %q (want text/csv)", j.ReportFormat)}
	}
	csvData, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(*j.Content), ""))
	if err != nil {
		return nil, &Error{Source: source, Column: "Content", Msg: fmt.Sprintf("invalid base64: %v", err)}
	}
	rep, err := ParseCSV(source+" (Content)", csvData)
	if err != nil {
		return nil, err
	}
	if j.GeneratedTime != "" {
		t, err := time.Parse(time.RFC3339, j.GeneratedTime)
		if err != nil {
			return nil, &Error{Source: source, Column: "GeneratedTime", Msg: fmt.Sprintf("want an RFC 3339 time, got %q", j.GeneratedTime)}
		}
		rep.GeneratedAt = t.UTC()
	}
	return rep, nil
}

// ParseCSV reads a credential report in CSV.
func ParseCSV(source string, data []byte) (*Report, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1 // checked below, with a clearer message
	r.ReuseRecord = true

	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{Source: source, Msg: "empty file: not a credential report"}
	}
	if err != nil {
		return nil, csvError(source, err)
	}
	headerLine, _ := r.FieldPos(0)
	idx, err := headerIndex(source, headerLine, header)
	if err != nil {
		return nil, err
	}
	width := len(header)

	rep := &Report{}
	rootLine := 0
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(source, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		if len(rec) != width {
			return nil, &Error{Source: source, Line: line, Msg: fmt.Sprintf("row has %d fields, the header has %d", len(rec), width)}
		}
		row := rowReader{source: source, line: line, rec: rec, idx: idx}
		user := rec[idx["user"]]
		arn := rec[idx["arn"]]
		acct, part, err := accountOf(arn)
		if err != nil {
			return nil, row.err("arn", err.Error())
		}
		if rep.Account == "" {
			rep.Account, rep.Partition = acct, part
		} else if acct != rep.Account {
			return nil, row.err("arn", fmt.Sprintf("account %s, but earlier rows are of account %s: one report holds one account", acct, rep.Account))
		} else if part != rep.Partition {
			return nil, row.err("arn", fmt.Sprintf("partition %s, but earlier rows are in partition %s", part, rep.Partition))
		}
		if user != RootUser {
			if err := row.validateUser(); err != nil {
				return nil, err
			}
			rep.Users++
			continue
		}
		if rootLine != 0 {
			return nil, row.err("user", fmt.Sprintf("second %s row (the first is on line %d)", RootUser, rootLine))
		}
		if !strings.HasSuffix(arn, ":root") {
			return nil, row.err("arn", fmt.Sprintf("the %s row's ARN %q does not end in :root", RootUser, arn))
		}
		root, err := row.root()
		if err != nil {
			return nil, err
		}
		rep.Root = root
		rootLine = line
	}
	if rootLine == 0 {
		return nil, &Error{Source: source, Msg: fmt.Sprintf("no %s row: the report does not describe the root user", RootUser)}
	}
	return rep, nil
}

func csvError(source string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrQuote) && pe.StartLine != pe.Line {
			return &Error{Source: source, Line: pe.StartLine, Msg: fmt.Sprintf("malformed CSV: %v (the quoted field opened on this line is not closed by line %d)", pe.Err, pe.Line)}
		}
		return &Error{Source: source, Line: pe.Line, Msg: fmt.Sprintf("malformed CSV at character %d: %v", pe.Column, pe.Err)}
	}
	return &Error{Source: source, Msg: fmt.Sprintf("read CSV: %v", err)}
}

func headerIndex(source string, line int, header []string) (map[string]int, error) {
	idx := make(map[string]int, len(header))
	dup := ""
	for i, h := range header {
		h = strings.TrimSpace(h)
		if _, seen := idx[h]; seen && dup == "" && slices.Contains(columns[:], h) {
			dup = h
		}
		idx[h] = i
	}
	var missing []string
	for _, c := range columns {
		if _, ok := idx[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) == len(columns) {
		return nil, &Error{Source: source, Line: line, Msg: "no credential report header (want a first line starting user,arn,user_creation_time,...)"}
	}
	if dup != "" {
		return nil, &Error{Source: source, Line: line, Column: dup, Msg: "column appears twice in the header"}
	}
	if len(missing) > 0 {
		return nil, &Error{Source: source, Line: line, Msg: "header lacks the columns " + strings.Join(missing, ", ")}
	}
	return idx, nil
}

func accountOf(arn string) (account, partition string, err error) {
	// arn:partition:iam::123456789012:root or :user/name
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" {
		return "", "", fmt.Errorf("%q is not an IAM ARN", arn)
	}
	if !model.ValidAccountID(parts[4]) {
		return "", "", fmt.Errorf("%q does not hold a 12-digit account ID", arn)
	}
	switch parts[1] {
	case "aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc":
	default:
		return "", "", fmt.Errorf("%q has unknown partition %q", arn, parts[1])
	}
	return parts[4], parts[1], nil
}

// rowReader reads typed fields of one row, naming line and column in errors.
type rowReader struct {
	source string
	line   int
	rec    []string
	idx    map[string]int
}

func (r rowReader) get(col string) string { return r.rec[r.idx[col]] }

func (r rowReader) err(col, msg string) error {
	return &Error{Source: r.source, Line: r.line, Column: col, Msg: msg}
}

func (r rowReader) boolean(col string) (bool, error) {
	switch v := r.get(col); v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, r.err(col, fmt.Sprintf("want true or false, got %q", v))
	}
}

func (r rowReader) stamp(col string) (model.Stamp, error) {
	s, err := model.ParseStamp(r.get(col))
	if err != nil {
		return s, r.err(col, err.Error())
	}
	if !s.IsSet() && s.Marker == "" {
		return s, r.err(col, "empty; want a time or "+model.NotApplicable)
	}
	return s, nil
}

func (r rowReader) created() (time.Time, error) {
	v := r.get("user_creation_time")
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, r.err("user_creation_time", fmt.Sprintf("want an RFC 3339 time, got %q", v))
	}
	return t.UTC(), nil
}

// validateUser checks an IAM user row's typed columns, so a corrupted report
// is caught wherever it is corrupted.
func (r rowReader) validateUser() error {
	if _, err := r.created(); err != nil {
		return err
	}
	if v := r.get("password_enabled"); v != "true" && v != "false" && v != model.NotSupported {
		return r.err("password_enabled", fmt.Sprintf("want true, false or not_supported, got %q", v))
	}
	for _, c := range []string{"mfa_active", "access_key_1_active", "access_key_2_active", "cert_1_active", "cert_2_active"} {
		if _, err := r.boolean(c); err != nil {
			return err
		}
	}
	for _, c := range []string{"password_last_used", "password_last_changed", "password_next_rotation",
		"access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_2_last_rotated",
		"access_key_2_last_used_date", "cert_1_last_rotated", "cert_2_last_rotated"} {
		if _, err := r.stamp(c); err != nil {
			return err
		}
	}
	return nil
}

func (r rowReader) root() (model.Root, error) {
	if err := r.validateUser(); err != nil {
		return model.Root{}, err
	}
	// validateUser checked every field, so the reads below cannot fail.
	created, _ := r.created()
	root := model.Root{
		ARN:             r.get("arn"),
		CreatedAt:       created,
		PasswordEnabled: r.get("password_enabled"),
		Row:             make(map[string]string, len(columns)),
	}
	root.PasswordLastUsed, _ = r.stamp("password_last_used")
	root.PasswordLastChanged, _ = r.stamp("password_last_changed")
	root.MFAActive, _ = r.boolean("mfa_active")
	for slot := 1; slot <= 2; slot++ {
		p := fmt.Sprintf("access_key_%d_", slot)
		k := model.Key{Slot: slot}
		k.Active, _ = r.boolean(p + "active")
		k.LastRotated, _ = r.stamp(p + "last_rotated")
		k.LastUsed, _ = r.stamp(p + "last_used_date")
		k.LastUsedRegion = naToEmpty(r.get(p + "last_used_region"))
		k.LastUsedService = naToEmpty(r.get(p + "last_used_service"))
		root.AccessKeys = append(root.AccessKeys, k)

		c := model.Cert{Slot: slot}
		c.Active, _ = r.boolean(fmt.Sprintf("cert_%d_active", slot))
		c.LastRotated, _ = r.stamp(fmt.Sprintf("cert_%d_last_rotated", slot))
		root.Certificates = append(root.Certificates, c)
	}
	for _, c := range columns {
		root.Row[c] = r.get(c)
	}
	root.Derive()
	return root, nil
}

func naToEmpty(s string) string {
	if s == model.NotApplicable {
		return ""
	}
	return s
}
