// Command summarize reads the JSON lines bench/history printed and writes
// bench/history-results.json: per backend the fill and write times, the
// store's size, and for the whole store and for its first half the median
// count, floor and study times, their ratios and the peak memory.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"slices"
)

type line struct {
	Phase         string         `json:"phase"`
	Backend       string         `json:"backend"`
	Accounts      int            `json:"accounts"`
	Weeks         int            `json:"weeks"`
	Seconds       float64        `json:"seconds"`
	Rows          int64          `json:"rows"`
	Findings      int64          `json:"findings"`
	WeekSeconds   []float64      `json:"week_seconds"`
	StudyWeeks    int            `json:"study_weeks"`
	VmHWMKB       int64          `json:"vm_hwm_kb"`
	OpenSeconds   float64        `json:"open_seconds"`
	HeapInusePeak uint64         `json:"heap_inuse_peak_bytes"`
	Detail        map[string]any `json:"detail"`
	Load          string         `json:"load"`
}

type read struct {
	Weeks               int            `json:"weeks"`
	Rows                int64          `json:"rows"`
	CountSeconds        float64        `json:"count_seconds"`
	CountTableSeconds   float64        `json:"count_table_seconds"`
	SumAllSeconds       float64        `json:"sum_all_seconds"`
	StudyOverSumAll     float64        `json:"study_over_sum_all"`
	StudyOverCountTable float64        `json:"study_over_count_table"`
	FloorSeconds        float64        `json:"floor_seconds"`
	StudySeconds        float64        `json:"study_seconds"`
	OpenSeconds         float64        `json:"open_seconds"`
	StudyOverCount      float64        `json:"study_over_count"`
	FloorOverCount      float64        `json:"floor_over_count"`
	StudyOverFloor      float64        `json:"study_over_floor"`
	StudyVmHWMKB        int64          `json:"study_vm_hwm_kb"`
	StudyHeapInusePeak  uint64         `json:"study_heap_inuse_peak_bytes"`
	FloorVmHWMKB        int64          `json:"floor_vm_hwm_kb"`
	Study               map[string]any `json:"study"`
	Loads               []string       `json:"loads"`
}

type backend struct {
	FillSeconds           float64 `json:"fill_seconds"`
	FillWeeks             int     `json:"fill_weeks"`
	FillWeekSecondsMedian float64 `json:"fill_week_seconds_median"`
	FillWeekSecondsMax    float64 `json:"fill_week_seconds_max"`
	FillAccounts          int64   `json:"fill_observations"`
	FillFindings          int64   `json:"fill_findings"`
	WriteWeekSeconds      float64 `json:"write_week_seconds"`
	WriteWeekAccounts     int64   `json:"write_week_accounts"`
	WriteWeekFindings     int64   `json:"write_week_findings"`
	WriteVmHWMKB          int64   `json:"write_vm_hwm_kb"`
	GenerateSeconds       float64 `json:"generate_week_seconds"`
	StoreBytes            int64   `json:"store_bytes"`
	Reads                 []read  `json:"reads"`
	fillWeeks             []float64
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "summarize:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) != 2 {
		return fmt.Errorf("usage: summarize RESULTS.jsonl")
	}
	f, err := os.Open(os.Args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	var lines []line
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return fmt.Errorf("%s:%d: %w", os.Args[1], n, err)
		}
		lines = append(lines, l)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	out := map[string]*backend{}
	type key struct {
		backend string
		weeks   int
	}
	times := map[key]map[string][]float64{}
	reads := map[key]*read{}
	var order []key
	var accounts, weeks int
	for _, l := range lines {
		accounts, weeks = l.Accounts, l.Weeks
		b := out[l.Backend]
		if b == nil {
			b = &backend{}
			out[l.Backend] = b
		}
		switch l.Phase {
		case "fill":
			// A fill resumed later adds its weeks to the first's.
			b.fillWeeks = append(b.fillWeeks, l.WeekSeconds...)
			b.FillSeconds += l.Seconds
			b.FillWeeks = len(b.fillWeeks)
			b.FillWeekSecondsMedian = median(b.fillWeeks)
			b.FillWeekSecondsMax = slices.Max(append([]float64{0}, b.fillWeeks...))
			b.FillAccounts += l.Rows
			b.FillFindings += l.Findings
		case "write":
			b.WriteWeekSeconds = median(l.WeekSeconds)
			b.WriteWeekAccounts, b.WriteWeekFindings, b.WriteVmHWMKB = l.Rows, l.Findings, l.VmHWMKB
		case "gen":
			b.GenerateSeconds = l.Seconds
		case "size":
			b.StoreBytes = l.Rows
		case "count", "count-table", "sum-all", "floor", "study":
			w := l.StudyWeeks
			if w == 0 {
				w = l.Weeks
			}
			k := key{l.Backend, w}
			r := reads[k]
			if r == nil {
				r = &read{Weeks: w}
				reads[k], times[k] = r, map[string][]float64{}
				order = append(order, k)
			}
			times[k][l.Phase] = append(times[k][l.Phase], l.Seconds)
			r.Rows = l.Rows
			r.Loads = append(r.Loads, l.Phase+" "+l.Load)
			switch l.Phase {
			case "study":
				r.OpenSeconds = max(r.OpenSeconds, l.OpenSeconds)
				r.StudyVmHWMKB = max(r.StudyVmHWMKB, l.VmHWMKB)
				r.StudyHeapInusePeak = max(r.StudyHeapInusePeak, l.HeapInusePeak)
				r.Study = l.Detail
			case "floor":
				r.FloorVmHWMKB = max(r.FloorVmHWMKB, l.VmHWMKB)
			}
		}
	}
	for _, k := range order {
		r := reads[k]
		t := times[k]
		r.CountSeconds, r.FloorSeconds, r.StudySeconds = median(t["count"]), median(t["floor"]), median(t["study"])
		r.CountTableSeconds, r.SumAllSeconds = median(t["count-table"]), median(t["sum-all"])
		if r.CountTableSeconds > 0 {
			r.StudyOverCountTable = r.StudySeconds / r.CountTableSeconds
		}
		if r.SumAllSeconds > 0 {
			r.StudyOverSumAll = r.StudySeconds / r.SumAllSeconds
		}
		if r.CountSeconds > 0 {
			r.StudyOverCount, r.FloorOverCount = r.StudySeconds/r.CountSeconds, r.FloorSeconds/r.CountSeconds
		}
		if r.FloorSeconds > 0 {
			r.StudyOverFloor = r.StudySeconds / r.FloorSeconds
		}
		out[k.backend].Reads = append(out[k.backend].Reads, *r)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"accounts": accounts, "weeks": weeks, "cpus": runtime.NumCPU(), "go": runtime.Version(),
		"backends": out, "runs": lines,
	})
}
