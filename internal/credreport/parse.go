// Package credreport parses IAM credential reports: the CSV as downloaded
// from the console or decoded from the API, and the JSON that
// `aws iam get-credential-report` prints (base64 CSV in Content).
package credreport

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

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
	Line   int    // 1-based line; 0 when not about a line
	Column string // CSV column name, when about one field
	Field  string // JSON field name, when about one
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
	if e.Field != "" {
		fmt.Fprintf(&b, ": field %s", e.Field)
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
	if u, isUTF16, err := fromUTF16(data); isUTF16 {
		if err != nil {
			return nil, &Error{Source: source, Msg: err.Error()}
		}
		data = u
	}
	noBOM := bytes.TrimPrefix(data, []byte("\ufeff"))
	trimmed := bytes.TrimSpace(noBOM)
	if len(trimmed) == 0 {
		return nil, &Error{Source: source, Msg: "empty file: not a credential report"}
	}
	if trimmed[0] == '[' {
		return nil, &Error{Source: source, Line: 1, Msg: "a JSON array; want one JSON object as `aws iam get-credential-report` prints (one report per file)"}
	}
	if trimmed[0] != '{' {
		return ParseCSV(source, data)
	}
	if j, _, csvData, ok := fastCLIJSON(trimmed); ok {
		return fromCLIJSON(source, j, csvData)
	}
	var j cliJSON
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	if err := dec.Decode(&j); err != nil {
		lead := len(noBOM) - len(bytes.TrimLeft(noBOM, " \t\r\n"))
		return nil, jsonError(source, noBOM, lead, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &Error{Source: source, Msg: "data after the JSON object (want the output of one `aws iam get-credential-report` per file)"}
	}
	if j.Content == nil {
		return nil, &Error{Source: source, Msg: "JSON has no Content field (want the output of `aws iam get-credential-report`)"}
	}
	csvData, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(*j.Content), ""))
	if err != nil {
		return nil, &Error{Source: source, Field: "Content", Msg: fmt.Sprintf("invalid base64: %v", err)}
	}
	return fromCLIJSON(source, j, csvData)
}

// fromCLIJSON parses the decoded Content of the CLI's JSON and takes its
// generation time.
func fromCLIJSON(source string, j cliJSON, csvData []byte) (*Report, error) {
	if j.ReportFormat != "" && j.ReportFormat != "text/csv" {
		return nil, &Error{Source: source, Msg: fmt.Sprintf("unsupported ReportFormat %q (want text/csv)", j.ReportFormat)}
	}
	rep, err := ParseCSV(source+" (Content)", csvData)
	if err != nil {
		return nil, err
	}
	if j.GeneratedTime != "" {
		t, err := parseTime(j.GeneratedTime)
		if err != nil {
			return nil, &Error{Source: source, Field: "GeneratedTime", Msg: fmt.Sprintf("want an RFC 3339 time, got %q", j.GeneratedTime)}
		}
		rep.GeneratedAt = t.UTC()
	}
	return rep, nil
}

// jsonError words a JSON decoding error with its line and column, and
// without Go's type names.
func jsonError(source string, data []byte, lead int, err error) error {
	const want = " (want the output of `aws iam get-credential-report`)"
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := position(data, lead+int(se.Offset)-1) // Offset is just past the bad byte
		return &Error{Source: source, Line: line, Msg: fmt.Sprintf("invalid JSON at character %d: %v%s", col, se, want)}
	case errors.As(err, &te):
		line, col := position(data, lead+valueStart(data[lead:], te))
		return &Error{Source: source, Line: line, Field: te.Field, Msg: fmt.Sprintf("want a %s, got a JSON %s (character %d)%s", te.Type.Kind(), te.Value, col, want)}
	case errors.Is(err, io.ErrUnexpectedEOF):
		line, _ := position(data, len(data))
		return &Error{Source: source, Line: line, Msg: "the JSON ends before its object does (truncated?)" + want}
	}
	return &Error{Source: source, Msg: fmt.Sprintf("invalid JSON: %v%s", err, want)}
}

// valueStart finds where the value of a type error begins: the error's
// Offset is past a scalar (or past the bracket of an array or object), so
// the value is found after its key instead, when the key can be found.
func valueStart(data []byte, te *json.UnmarshalTypeError) int {
	off := min(int(te.Offset), len(data))
	name := te.Field
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return off
	}
	k := bytes.LastIndex(data[:off], []byte(`"`+name+`"`))
	if k < 0 {
		return off
	}
	rest := bytes.TrimLeft(data[k+len(name)+2:off], " \t\r\n")
	if !bytes.HasPrefix(rest, []byte(":")) {
		return off
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	return off - len(rest)
}

// fromUTF16 decodes a file saved as UTF-16 with a byte-order mark, as
// Windows PowerShell 5 writes 'aws iam get-credential-report > r.json'.
func fromUTF16(data []byte) (out []byte, isUTF16 bool, err error) {
	var order binary.ByteOrder
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xfe}):
		order = binary.LittleEndian
	case bytes.HasPrefix(data, []byte{0xfe, 0xff}):
		order = binary.BigEndian
	default:
		return nil, false, nil
	}
	data = data[2:]
	if len(data)%2 != 0 {
		return nil, true, errors.New("UTF-16 (it starts with a UTF-16 byte-order mark) but has an odd number of bytes: truncated? Save it as UTF-8")
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = order.Uint16(data[2*i:])
	}
	return []byte(string(utf16.Decode(units))), true, nil
}

// position turns a byte offset into a 1-based line and column.
func position(data []byte, off int) (line, col int) {
	off = min(max(off, 0), len(data))
	line = 1 + bytes.Count(data[:off], []byte{'\n'})
	col = off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}

// ParseCSV reads a credential report in CSV.
func ParseCSV(source string, data []byte) (*Report, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := newRecords(data)

	header, headerLine, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{Source: source, Msg: "empty file: not a credential report"}
	}
	if err != nil {
		return nil, csvError(source, err)
	}
	idx, err := headerIndex(source, headerLine, header)
	if err != nil {
		return nil, err
	}
	width := len(header)

	rep := &Report{}
	rootLine := 0
	// arnPrefix is "arn:<partition>:iam::<account>:" of the first row: a
	// row whose ARN starts with it needs no further check.
	arnPrefix := ""
	for {
		rec, line, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvError(source, err)
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		if len(rec) != width {
			return nil, &Error{Source: source, Line: line, Msg: fmt.Sprintf("row has %d fields, the header has %d", len(rec), width)}
		}
		row := rowReader{source: source, line: line, rec: rec, idx: &idx}
		user := row.get(colUser)
		arn := row.get(colARN)
		if arnPrefix != "" && len(arn) > len(arnPrefix) && arn[:len(arnPrefix)] == arnPrefix {
			// Same account and partition as the first row.
		} else if acct, part, err := accountOf(arn); err != nil {
			return nil, row.err(colARN, err.Error())
		} else if rep.Account == "" {
			rep.Account, rep.Partition = strings.Clone(acct), strings.Clone(part)
			arnPrefix = "arn:" + part + ":iam::" + acct + ":"
		} else if acct != rep.Account {
			return nil, row.err(colARN, fmt.Sprintf("account %s, but earlier rows are of account %s: one report holds one account", acct, rep.Account))
		} else if part != rep.Partition {
			return nil, row.err(colARN, fmt.Sprintf("partition %s, but earlier rows are in partition %s", part, rep.Partition))
		}
		if user != RootUser {
			if err := row.validateUser(); err != nil {
				return nil, err
			}
			rep.Users++
			continue
		}
		if rootLine != 0 {
			return nil, row.err(colUser, fmt.Sprintf("second %s row (the first is on line %d)", RootUser, rootLine))
		}
		if !strings.HasSuffix(arn, ":root") {
			return nil, row.err(colARN, fmt.Sprintf("the %s row's ARN %q does not end in :root", RootUser, arn))
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

// columnIndex maps each known column (by its position in columns) to its
// field in the report's rows.
type columnIndex [len(columns)]int

// Positions in columns, for reading fields without a map lookup.
const (
	colUser = iota
	colARN
	colCreated
	colPasswordEnabled
	colPasswordLastUsed
	colPasswordLastChanged
	colPasswordNextRotation
	colMFA
	colKey1Active
	colKey1Rotated
	colKey1Used
	colKey1Region
	colKey1Service
	colKey2Active
	colKey2Rotated
	colKey2Used
	colKey2Region
	colKey2Service
	colCert1Active
	colCert1Rotated
	colCert2Active
	colCert2Rotated
)

func headerIndex(source string, line int, header []string) (columnIndex, error) {
	var idx columnIndex
	for i := range idx {
		idx[i] = -1
	}
	dup := ""
	for i, h := range header {
		c := slices.Index(columns[:], strings.TrimSpace(h))
		if c < 0 {
			continue
		}
		if idx[c] >= 0 && dup == "" {
			dup = columns[c]
		}
		idx[c] = i
	}
	var missing []string
	for c, i := range idx {
		if i < 0 {
			missing = append(missing, columns[c])
		}
	}
	if len(missing) == len(columns) {
		return idx, &Error{Source: source, Line: line, Msg: "no credential report header (want a first line starting user,arn,user_creation_time,...)"}
	}
	if dup != "" {
		return idx, &Error{Source: source, Line: line, Column: dup, Msg: "column appears twice in the header"}
	}
	if len(missing) > 0 {
		return idx, &Error{Source: source, Line: line, Msg: "header lacks the columns " + strings.Join(missing, ", ")}
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
	idx    *columnIndex
}

func (r rowReader) get(col int) string { return r.rec[r.idx[col]] }

// keep returns a field as a string of its own, for what outlives the input
// buffer (records may view it in place).
func (r rowReader) keep(col int) string { return strings.Clone(r.get(col)) }

func (r rowReader) err(col int, msg string) error {
	return &Error{Source: r.source, Line: r.line, Column: columns[col], Msg: msg}
}

func (r rowReader) boolean(col int) (bool, error) {
	switch v := r.get(col); v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	default:
		return false, r.err(col, fmt.Sprintf("want true or false, got %q", v))
	}
}

func (r rowReader) stamp(col int) (model.Stamp, error) {
	v := r.get(col)
	if v == "" {
		return model.Stamp{}, r.err(col, "empty; want a time or "+model.NotApplicable)
	}
	s, err := parseStamp(v)
	if err != nil {
		return s, r.err(col, fmt.Sprintf("want an RFC 3339 time, %s, %s or %s, got %q", model.NotApplicable, model.NotSupported, model.NoInformation, v))
	}
	return s, nil
}

func (r rowReader) created() (time.Time, error) {
	v := r.get(colCreated)
	t, err := parseTime(v)
	if err != nil {
		return time.Time{}, r.err(colCreated, fmt.Sprintf("want an RFC 3339 time, got %q", v))
	}
	return t, nil
}

// validateUser checks an IAM user row's typed columns, so a corrupted report
// is caught wherever it is corrupted.
func (r rowReader) validateUser() error {
	if _, err := r.created(); err != nil {
		return err
	}
	if v := r.get(colPasswordEnabled); v != "true" && v != "false" && v != model.NotSupported {
		return r.err(colPasswordEnabled, fmt.Sprintf("want true, false or not_supported, got %q", v))
	}
	for _, c := range [...]int{colMFA, colKey1Active, colKey2Active, colCert1Active, colCert2Active} {
		if _, err := r.boolean(c); err != nil {
			return err
		}
	}
	for _, c := range [...]int{colPasswordLastUsed, colPasswordLastChanged, colPasswordNextRotation,
		colKey1Rotated, colKey1Used, colKey2Rotated, colKey2Used, colCert1Rotated, colCert2Rotated} {
		switch v := r.get(c); {
		case v == model.NotApplicable || v == model.NotSupported || v == model.NoInformation || validTimeLayout(v):
		default:
			if _, err := r.stamp(c); err != nil {
				return err
			}
		}
	}
	return nil
}

// root reads the root row. It checks every field first, as for a user row,
// so the reads after it cannot fail.
func (r rowReader) root() (model.Root, error) {
	if err := r.validateUser(); err != nil {
		return model.Root{}, err
	}
	created, _ := r.created()
	root := model.Root{
		ARN:             r.keep(colARN),
		CreatedAt:       created,
		PasswordEnabled: r.keep(colPasswordEnabled),
		Row:             make(map[string]string, len(columns)),
	}
	root.PasswordLastUsed, _ = r.stamp(colPasswordLastUsed)
	root.PasswordLastChanged, _ = r.stamp(colPasswordLastChanged)
	root.MFAActive, _ = r.boolean(colMFA)
	keys := [2][5]int{
		{colKey1Active, colKey1Rotated, colKey1Used, colKey1Region, colKey1Service},
		{colKey2Active, colKey2Rotated, colKey2Used, colKey2Region, colKey2Service},
	}
	certs := [2][2]int{{colCert1Active, colCert1Rotated}, {colCert2Active, colCert2Rotated}}
	for i := range 2 {
		k := model.Key{Slot: i + 1}
		k.Active, _ = r.boolean(keys[i][0])
		k.LastRotated, _ = r.stamp(keys[i][1])
		k.LastUsed, _ = r.stamp(keys[i][2])
		k.LastUsedRegion = naToEmpty(r.keep(keys[i][3]))
		k.LastUsedService = naToEmpty(r.keep(keys[i][4]))
		root.AccessKeys = append(root.AccessKeys, k)

		c := model.Cert{Slot: i + 1}
		c.Active, _ = r.boolean(certs[i][0])
		c.LastRotated, _ = r.stamp(certs[i][1])
		root.Certificates = append(root.Certificates, c)
	}
	for c, name := range columns {
		root.Row[name] = r.keep(c)
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
