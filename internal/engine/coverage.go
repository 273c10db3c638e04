package engine

import (
	"fmt"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

	"github.com/rootwatch/rootwatch/internal/model"
)

// deliveryLag is how far the last log read may end before the end of the
// span judged: CloudTrail delivers a file some minutes after its events,
// and a quiet account's files come further apart.
const deliveryLag = model.CloudTrailDeliveryLag

// coverageFunctions declare what rules ask of the CloudTrail logs read for
// an account (account.cloudtrail): whether some could not be read, and
// whether what was read spans the time judged. Both answer with the
// reason, "" when there is none, for the message to say.
//
//	cloudtrail_unread(account.cloudtrail)              // error: not read, or not in whole
//	cloudtrail_gap(account.cloudtrail, from, to)       // manual: read, but not all of [from, to]
func coverageFunctions() []cel.EnvOption {
	return []cel.EnvOption{
		// plural(n, "sign-in", "sign-ins"): "1 sign-in", "2 sign-ins".
		cel.Function("plural",
			cel.Overload("plural_int_string_string", []*cel.Type{cel.IntType, cel.StringType, cel.StringType}, cel.StringType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					n, ok1 := args[0].(types.Int)
					one, ok2 := args[1].(types.String)
					many, ok3 := args[2].(types.String)
					if !ok1 || !ok2 || !ok3 {
						return types.NewErr("plural: want (int, string, string)")
					}
					return types.String(plural(int(n), string(one), string(many)))
				}))),
		cel.Function("cloudtrail_unread",
			cel.Overload("cloudtrail_unread_dyn", []*cel.Type{cel.DynType}, cel.StringType,
				cel.UnaryBinding(func(v ref.Val) ref.Val { return types.String(cloudTrailUnread(v)) }))),
		cel.Function("cloudtrail_gap",
			cel.Overload("cloudtrail_gap_dyn_timestamp_timestamp", []*cel.Type{cel.DynType, cel.TimestampType, cel.TimestampType}, cel.StringType,
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					from, ok1 := args[1].Value().(time.Time)
					to, ok2 := args[2].Value().(time.Time)
					if !ok1 || !ok2 {
						return types.NewErr("cloudtrail_gap: want two timestamps")
					}
					return types.String(cloudTrailGap(args[0], from.UTC(), to.UTC()))
				}))),
	}
}

// lookup returns a map's value at key, or nil.
func lookup(v ref.Val, key string) ref.Val {
	m, ok := v.(traits.Mapper)
	if !ok {
		return nil
	}
	out, found := m.Find(types.String(key))
	if !found {
		return nil
	}
	return out
}

func timeAt(v ref.Val, key string) (time.Time, bool) {
	t, ok := lookup(v, key).(types.Timestamp)
	if !ok {
		return time.Time{}, false
	}
	return t.Time.UTC(), true
}

func stringsAt(v ref.Val, key string) []string {
	l, ok := lookup(v, key).(traits.Lister)
	if !ok {
		return nil
	}
	var out []string
	for it := l.Iterator(); it.HasNext() == types.True; {
		if s, ok := it.Next().(types.String); ok {
			out = append(out, string(s))
		}
	}
	return out
}

// cloudTrailUnread says why the account's logs were not read, or not in
// whole: events there are unknown.
func cloudTrailUnread(ct ref.Val) string {
	if _, ok := ct.(traits.Mapper); !ok {
		return "the account's CloudTrail logs were not read"
	}
	cov := lookup(ct, "coverage")
	if cov == nil {
		return "" // an older snapshot: cloudtrail_gap says so
	}
	if unread := stringsAt(cov, "unread"); len(unread) > 0 {
		total := max(intAt(cov, "unread_total"), len(unread))
		names := strings.Join(unread, ", ")
		if total > len(unread) {
			names += fmt.Sprintf(" and %d more", total-len(unread))
		}
		return fmt.Sprintf("%s that may hold the account's events could not be read, or only in part (%s)",
			plural(total, "input", "inputs"), names)
	}
	if _, ok := timeAt(cov, "read_from"); !ok && intAt(cov, "selections") == 0 {
		return "no CloudTrail log of the account was read"
	}
	return ""
}

// cloudTrailGap says which parts of [from, to] the logs read do not
// reach: before the first log read, after the last (less deliveryLag), and
// the holes inside with no log of the account.
func cloudTrailGap(ct ref.Val, from, to time.Time) string {
	if _, ok := ct.(traits.Mapper); !ok {
		return "the account's CloudTrail logs were not read"
	}
	cov := lookup(ct, "coverage")
	if cov == nil {
		return "the snapshot does not record which of the account's CloudTrail logs were read (it was written by an older rootwatch)"
	}
	readFrom, ok := timeAt(cov, "read_from")
	if !ok {
		if n := intAt(cov, "selections"); n > 0 {
			return fmt.Sprintf("only selections of the account's events were read (%s: lookup-events output, EventBridge events, "+
				"Lake results or bare records, which a query, rule or filter chose): they show the events they hold, not that there were "+
				"no others; give the log files themselves", plural(n, "input", "inputs"))
		}
		return "no CloudTrail log of the account was read"
	}
	readTo, _ := timeAt(cov, "read_to")
	where := ""
	if regions := stringsAt(cov, "regions"); len(regions) > 0 {
		where = " (" + strings.Join(regions, ", ") + ")"
	}
	var why []string
	if readFrom.After(from) {
		why = append(why, "the window reaches back to "+stamp(from))
	}
	if readTo.Before(to.Add(-deliveryLag)) {
		why = append(why, "the window reaches to "+stamp(to))
	}
	if gaps, ok := lookup(cov, "gaps").(traits.Lister); ok {
		for it := gaps.Iterator(); it.HasNext() == types.True; {
			g := it.Next()
			gf, ok1 := timeAt(g, "from")
			gt, ok2 := timeAt(g, "to")
			if !ok1 || !ok2 || !gt.After(from) || !gf.Before(to) {
				continue
			}
			why = append(why, "nothing of the account was read "+spanText(model.Later(gf, from), model.Earlier(gt, to)))
		}
	}
	if len(why) == 0 {
		return ""
	}
	return fmt.Sprintf("its CloudTrail logs%s were read from %s to %s; %s", where, stamp(readFrom), stamp(readTo), strings.Join(why, "; "))
}

// spanText words a span: by days when it is whole days, else by times.
func spanText(from, to time.Time) string {
	const day = 24 * time.Hour
	if from.Truncate(day).Equal(from) && to.Truncate(day).Equal(to) {
		last := to.Add(-day)
		if last.After(from) {
			return "from " + from.Format(time.DateOnly) + " to " + last.Format(time.DateOnly)
		}
		return "on " + from.Format(time.DateOnly)
	}
	return "from " + stamp(from) + " to " + stamp(to)
}

func intAt(v ref.Val, key string) int {
	n, ok := lookup(v, key).(types.Int)
	if !ok {
		return 0
	}
	return int(n)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// plural writes a count with the noun that goes with it: "no root
// event", "1 root event", "2 root events".
func plural(n int, one, many string) string {
	if n == 0 {
		return "no " + one
	}
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
