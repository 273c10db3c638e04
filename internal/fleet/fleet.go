// Package fleet reads fleet metadata for offline audits: a CSV file that
// gives each account its name, organization, OU path and the asset counts
// of the seed study's size buckets, which credential reports do not hold.
//
// The file's first line is a header naming these columns, in any order,
// each once:
//
//	account_id, account_name, org_id, org_name, ou_path,
//	iam_users, rds_instances, s3_buckets, ec2_instances, trails
//
// and, optionally, email: the root user's email address (the account's
// email in AWS Organizations), which root-email-dedicated judges; empty
// when unknown. Any other column is refused.
//
// The file is RFC 4180 CSV (quoted fields may hold commas, quotes and line
// breaks); a UTF-8 byte order mark and CRLF line ends are accepted, blank
// lines are skipped, and spaces around a field are dropped. account_id is a
// 12-digit account ID, kept as text (leading zeros matter); each account is
// listed once. org_id, when given, is an organization ID (o-...); org_name
// needs an org_id and names it the same way on every line. The five counts
// are whole numbers, 0 or more, all given or all empty (asset counts
// unknown). A file is at most MaxSize bytes.
package fleet

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/rootwatch/rootwatch/internal/config"
	"github.com/rootwatch/rootwatch/internal/model"
)

// MaxSize is the largest fleet file read: 64 MiB holds about a million
// accounts.
const MaxSize = 64 << 20

// maxCount bounds each asset count, so their total cannot overflow.
const maxCount = 1<<31 - 1

// Columns are the header's column names, in the order the documentation
// gives them.
var columns = [...]string{
	"account_id", "account_name", "org_id", "org_name", "ou_path",
	"iam_users", "rds_instances", "s3_buckets", "ec2_instances", "trails",
	"email",
}

// Columns returns the header's column names, the required ones first
// (RequiredColumns), then the optional ones.
func Columns() []string { return columns[:] }

// RequiredColumns returns the columns every header names.
func RequiredColumns() []string { return columns[:numRequired] }

const (
	colAccountID = iota
	colAccountName
	colOrgID
	colOrgName
	colOUPath
	colIAMUsers
	colRDSInstances
	colS3Buckets
	colEC2Instances
	colTrails
	colEmail
	numColumns
	// numRequired: the columns before colEmail are required.
	numRequired = colEmail
)

// orgIDPattern is the form AWS gives organization IDs.
var orgIDPattern = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)

// Account is one line of a fleet file.
type Account struct {
	ID     string
	Name   string
	OrgID  string
	OUPath string
	// Email is the root user's email address; "" when not given.
	Email string
	// Assets are the counts with their total and size bucket; nil when the
	// line leaves the counts empty.
	Assets *model.Assets
	// Line is the line of the file the account is on.
	Line int
}

// Fleet is a fleet file read.
type Fleet struct {
	// File names the file in messages.
	File string
	// Accounts are the file's accounts in the file's order.
	Accounts []Account
	// OrgNames are the organizations' names by ID ("" when not given).
	OrgNames map[string]string
	index    map[string]int
}

// Lookup returns the account with this ID.
func (f *Fleet) Lookup(id string) (Account, bool) {
	i, ok := f.index[id]
	if !ok {
		return Account{}, false
	}
	return f.Accounts[i], true
}

// Error is a problem at a place in a fleet file. Column is the CSV column
// (1 is the first field), Byte the byte in the line for a CSV syntax
// error; either is 0 when the problem is the whole line or file.
type Error struct {
	File   string
	Line   int
	Column int
	// Name is the column's name in the header, when known.
	Name string
	Byte int
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fleet %s", e.File)
	if e.Line == 0 {
		// The whole file: "fleet f.csv is empty".
		b.WriteString(" ")
		b.WriteString(e.Msg)
		return b.String()
	}
	fmt.Fprintf(&b, ": line %d", e.Line)
	switch {
	case e.Column > 0 && e.Name != "":
		fmt.Fprintf(&b, ", column %d (%s)", e.Column, e.Name)
	case e.Column > 0:
		fmt.Fprintf(&b, ", column %d", e.Column)
	case e.Byte > 0:
		fmt.Fprintf(&b, ", byte %d", e.Byte)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ErrTooLarge is returned (wrapped) for a file over MaxSize bytes.
var ErrTooLarge = errors.New("too large")

// Load reads the fleet file at path.
func Load(ctx context.Context, path string) (*Fleet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read fleet file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read fleet file %s: %w", path, err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("fleet %s is a directory: want a CSV file", path)
	}
	if st.Mode().IsRegular() && st.Size() > MaxSize {
		return nil, fmt.Errorf("fleet %s is %w: %d bytes, more than %d MiB", path, ErrTooLarge, st.Size(), MaxSize>>20)
	}
	return Parse(ctx, f, path)
}

// limitReader fails once more than MaxSize bytes were read (a file that
// grew after its size was checked, or a pipe).
type limitReader struct {
	r     io.Reader
	n     int64
	limit int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.limit {
		return 0, ErrTooLarge
	}
	return n, err
}

// Parse reads a fleet file from r; name names it in messages.
func Parse(ctx context.Context, r io.Reader, name string) (*Fleet, error) {
	return parse(ctx, r, name, MaxSize)
}

// parse reads at most limit bytes of r.
func parse(ctx context.Context, r io.Reader, name string, limit int64) (*Fleet, error) {
	br := bufio.NewReaderSize(&limitReader{r: r, limit: limit}, 64<<10)
	head, _ := br.Peek(3)
	switch {
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		_, _ = br.Discard(3)
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		return nil, &Error{File: name, Msg: "is UTF-16 text: save it as CSV in UTF-8"}
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1 // checked here, to name the missing or extra field
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	readErr := func(err error) error {
		if errors.Is(err, ErrTooLarge) {
			return fmt.Errorf("fleet %s is %w: more than %s", name, ErrTooLarge, size(limit))
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			msg := pe.Err.Error()
			if pe.StartLine != pe.Line {
				msg += fmt.Sprintf(" (the quoted field opened on line %d)", pe.StartLine)
			}
			return &Error{File: name, Line: pe.Line, Byte: pe.Column, Msg: msg}
		}
		return fmt.Errorf("read fleet %s: %w", name, err)
	}

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &Error{File: name, Msg: "is empty: want a header line (" + strings.Join(columns[:numRequired], ",") + ") and a line per account"}
	}
	if err != nil {
		return nil, readErr(err)
	}
	headerLine, _ := cr.FieldPos(0)
	// pos[i] is the field of column i on each line.
	pos, err := readHeader(header, name, headerLine)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(header)) // the column name of each field
	for c, p := range pos {
		if p >= 0 {
			names[p] = columns[c]
		}
	}

	fl := &Fleet{File: name, OrgNames: map[string]string{}, index: map[string]int{}}
	orgLine := map[string]int{} // the line that named each organization
	for {
		if len(fl.Accounts)%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("read fleet %s: %w", name, err)
			}
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, readErr(err)
		}
		line, _ := cr.FieldPos(0)
		at := func(col int, format string, args ...any) error {
			l := line
			if p := pos[col]; p < len(rec) {
				l, _ = cr.FieldPos(p)
			}
			return &Error{File: name, Line: l, Column: pos[col] + 1, Name: columns[col], Msg: fmt.Sprintf(format, args...)}
		}
		switch {
		case len(rec) < len(header):
			return nil, &Error{File: name, Line: line, Column: len(rec) + 1, Name: names[len(rec)],
				Msg: fmt.Sprintf("missing: the line has %d fields, the header %d", len(rec), len(header))}
		case len(rec) > len(header):
			l, _ := cr.FieldPos(len(header))
			return nil, &Error{File: name, Line: l, Column: len(header) + 1,
				Msg: fmt.Sprintf("extra field: the line has %d fields, the header %d", len(rec), len(header))}
		}
		field := func(col int) string {
			if pos[col] < 0 {
				return "" // an optional column the file leaves out
			}
			return strings.TrimSpace(rec[pos[col]])
		}

		a := Account{ID: field(colAccountID), Name: field(colAccountName), OrgID: field(colOrgID), OUPath: field(colOUPath), Line: line}
		if err := checkAccountID(a.ID); err != "" {
			return nil, at(colAccountID, "%s", err)
		}
		if prev, dup := fl.index[a.ID]; dup {
			return nil, at(colAccountID, "account %s is listed twice, on lines %d and %d", a.ID, fl.Accounts[prev].Line, line)
		}
		if a.Email = field(colEmail); a.Email != "" {
			if msg := checkEmail(a.Email); msg != "" {
				return nil, at(colEmail, "%s", msg)
			}
		}
		orgName := field(colOrgName)
		if a.OrgID != "" && !orgIDPattern.MatchString(a.OrgID) {
			return nil, at(colOrgID, "%q is not an organization ID (o- and 10 to 32 lowercase letters or digits)", a.OrgID)
		}
		if a.OrgID == "" && orgName != "" {
			return nil, at(colOrgName, "organization %q has no org_id: give its ID (o-...) too", orgName)
		}
		if a.OrgID != "" {
			known, seen := fl.OrgNames[a.OrgID]
			switch {
			case !seen || known == "" && orgName != "":
				fl.OrgNames[a.OrgID] = orgName
				if orgName != "" {
					orgLine[a.OrgID] = line
				}
			case orgName != "" && orgName != known:
				return nil, at(colOrgName, "organization %s is named %q on line %d and %q here", a.OrgID, known, orgLine[a.OrgID], orgName)
			}
		}
		var counts [5]int
		given, empty := 0, -1
		for i, col := range []int{colIAMUsers, colRDSInstances, colS3Buckets, colEC2Instances, colTrails} {
			s := field(col)
			if s == "" {
				if empty < 0 {
					empty = col
				}
				continue
			}
			n, msg := parseCount(s)
			if msg != "" {
				return nil, at(col, "%s", msg)
			}
			counts[i] = n
			given++
		}
		switch {
		case given == 5:
			as := model.Assets{IAMUsers: counts[0], RDSInstances: counts[1], S3Buckets: counts[2], EC2Instances: counts[3], Trails: counts[4]}
			as.Total = as.IAMUsers + as.RDSInstances + as.S3Buckets + as.EC2Instances + as.Trails
			as.Size = model.SizeOf(as.Total)
			a.Assets = &as
		case given > 0:
			return nil, at(empty, "empty while other counts are given: give all five counts, or none when they are unknown")
		}
		fl.index[a.ID] = len(fl.Accounts)
		fl.Accounts = append(fl.Accounts, a)
	}
	if len(fl.Accounts) == 0 {
		return nil, &Error{File: name, Msg: "has a header and no accounts"}
	}
	return fl, nil
}

// readHeader maps each column to its field in the header line.
func readHeader(header []string, name string, line int) ([numColumns]int, error) {
	var pos [numColumns]int
	for i := range pos {
		pos[i] = -1
	}
	for i, h := range header {
		h = strings.TrimSpace(h)
		c := -1
		for j, want := range columns {
			if h == want {
				c = j
			}
		}
		switch {
		case c < 0 && h == "":
			return pos, &Error{File: name, Line: line, Column: i + 1, Msg: "empty column name in the header; the columns are " + strings.Join(columns[:], ", ")}
		case c < 0:
			return pos, &Error{File: name, Line: line, Column: i + 1,
				Msg: fmt.Sprintf("unknown column %q%s; the columns are %s", h, config.DidYouMean(h, columns[:]), strings.Join(columns[:], ", "))}
		case pos[c] >= 0:
			return pos, &Error{File: name, Line: line, Column: i + 1, Msg: fmt.Sprintf("column %q appears twice, in columns %d and %d", h, pos[c]+1, i+1)}
		}
		pos[c] = i
	}
	var missing []string
	for c, p := range pos[:numRequired] {
		if p < 0 {
			missing = append(missing, columns[c])
		}
	}
	if len(missing) > 0 {
		return pos, &Error{File: name, Line: line, Msg: "the header lacks column(s) " + strings.Join(missing, ", ") + "; all of " +
			strings.Join(columns[:numRequired], ", ") + " are needed, in any order (email may be added)"}
	}
	return pos, nil
}

// checkEmail says what is wrong with a root email address, or "": one
// plain address (local@domain), no display name, no comment.
func checkEmail(s string) string {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s || !strings.Contains(s, "@") {
		return fmt.Sprintf("%q is not an email address: want one plain address such as aws-prod@example.com", s)
	}
	return ""
}

// checkAccountID says what is wrong with an account ID, or "".
func checkAccountID(id string) string {
	switch {
	case id == "":
		return "empty: want a 12-digit account ID"
	case model.ValidAccountID(id):
		return ""
	case len(id) < 12 && allDigits(id):
		return fmt.Sprintf("%q is not a 12-digit account ID: it has %d digits (a spreadsheet may have dropped leading zeros: keep the column as text)", id, len(id))
	}
	return fmt.Sprintf("%q is not a 12-digit account ID", id)
}

// parseCount reads an asset count, or says what is wrong with s.
func parseCount(s string) (int, string) {
	if strings.HasPrefix(s, "-") && len(s) > 1 && allDigits(s[1:]) {
		return 0, fmt.Sprintf("%q is negative: a count is 0 or more", s)
	}
	if !allDigits(s) {
		return 0, fmt.Sprintf("%q is not a count: want a whole number, 0 or more", s)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > maxCount {
		return 0, fmt.Sprintf("%q is too large: a count is at most %d", s, maxCount)
	}
	return int(n), ""
}

// size writes a byte count in MiB when it is whole ones.
func size(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Applied is what applying a fleet to a snapshot did.
type Applied struct {
	// Described is the number of the snapshot's accounts found in the fleet.
	Described int
	// Missing are the snapshot's accounts the fleet does not list, in the
	// snapshot's order.
	Missing []string
	// Unused is the number of the fleet's accounts not in the snapshot.
	Unused int
	// Disagree are the accounts whose input already held a name,
	// organization, OU path, email or asset counts other than the fleet's: the
	// input's are kept.
	Disagree []string
}

// Apply gives the snapshot's accounts what the fleet knows of them. The
// fleet fills what the input lacks and overrides nothing: a snapshot
// collected live keeps its own organization, OU path and asset counts.
// Each organization that an account gets from the fleet is added to the
// snapshot's organizations (or named there, when it has no name).
func (f *Fleet) Apply(snap *model.Snapshot) Applied {
	var res Applied
	orgs := map[string]int{}
	for i, o := range snap.Organizations {
		orgs[o.ID] = i
	}
	seen := map[string]bool{}
	for i := range snap.Accounts {
		a := &snap.Accounts[i]
		fa, ok := f.Lookup(a.ID)
		if !ok {
			res.Missing = append(res.Missing, a.ID)
			continue
		}
		if !seen[a.ID] {
			seen[a.ID] = true
			res.Described++
		}
		disagree := false
		fill := func(dst *string, v string) {
			switch {
			case *dst == "":
				*dst = v
			case v != "" && *dst != v:
				disagree = true
			}
		}
		fill(&a.Name, fa.Name)
		fill(&a.Org, fa.OrgID)
		fill(&a.OUPath, fa.OUPath)
		fill(&a.Email, fa.Email)
		if fa.Assets != nil {
			if a.Assets == nil {
				as := *fa.Assets
				a.Assets = &as
			} else if !sameCounts(a.Assets, fa.Assets) {
				disagree = true
			}
		}
		if disagree {
			res.Disagree = append(res.Disagree, a.ID)
		}
		if fa.OrgID == "" || a.Org != fa.OrgID {
			continue
		}
		if j, ok := orgs[fa.OrgID]; ok {
			if snap.Organizations[j].Name == "" {
				snap.Organizations[j].Name = f.OrgNames[fa.OrgID]
			}
			continue
		}
		orgs[fa.OrgID] = len(snap.Organizations)
		snap.Organizations = append(snap.Organizations, model.Organization{ID: fa.OrgID, Name: f.OrgNames[fa.OrgID]})
	}
	res.Unused = len(f.Accounts) - res.Described
	return res
}

func sameCounts(a, b *model.Assets) bool {
	return a.IAMUsers == b.IAMUsers && a.RDSInstances == b.RDSInstances && a.S3Buckets == b.S3Buckets &&
		a.EC2Instances == b.EC2Instances && a.Trails == b.Trails
}
