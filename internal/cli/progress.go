package cli

import (
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressThreshold is the number of inputs from which a progress bar is
// worth showing.
const progressThreshold = 500

// fileProgress shows a progress bar on stderr while inputs are read, only on
// a terminal and only for runs long enough to need one.
type fileProgress struct {
	w io.Writer
	// what and unit describe the work ("reading credential reports",
	// "reports"); threshold is the least total worth a bar. Zero values
	// mean reading reports.
	what, unit string
	threshold  int
	mu         sync.Mutex
	bar        *progressbar.ProgressBar
}

func (p *fileProgress) Start(total int) {
	if p.what == "" {
		p.what, p.unit, p.threshold = "reading credential reports", "reports", progressThreshold
	}
	if total < p.threshold {
		return
	}
	p.bar = progressbar.NewOptions(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(p.what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString(p.unit),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
}

func (p *fileProgress) Add(n int) {
	if p.bar == nil {
		return
	}
	p.mu.Lock()
	_ = p.bar.Add(n)
	p.mu.Unlock()
}

// Finish clears the bar, so logs and the report start on a clean line.
func (p *fileProgress) Finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
