package iostreams

import "testing"

func TestForOutput(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	cases := []struct {
		name    string
		s       IOStreams
		toFile  bool
		noColor bool
		want    Output
	}{
		{"terminal", IOStreams{OutTTY: true, Width: 132}, false, false, Output{Color: true, Terminal: true, Width: 132}},
		{"terminal of unknown size", IOStreams{OutTTY: true}, false, false, Output{Color: true, Terminal: true, Width: 80}},
		{"terminal of unknown size, COLUMNS", IOStreams{OutTTY: true, Getenv: env(map[string]string{"COLUMNS": "100"})}, false, false, Output{Color: true, Terminal: true, Width: 100}},
		{"the terminal's size beats COLUMNS", IOStreams{OutTTY: true, Width: 120, Getenv: env(map[string]string{"COLUMNS": "100"})}, false, false, Output{Color: true, Terminal: true, Width: 120}},
		{"--no-color", IOStreams{OutTTY: true, Width: 90}, false, true, Output{Terminal: true, Width: 90}},
		{"NO_COLOR", IOStreams{OutTTY: true, Width: 90, Getenv: env(map[string]string{"NO_COLOR": "1"})}, false, false, Output{Terminal: true, Width: 90}},
		{"TERM=dumb", IOStreams{OutTTY: true, Width: 90, Getenv: env(map[string]string{"TERM": "dumb"})}, false, false, Output{Terminal: true, Width: 90}},
		{"--output to a file", IOStreams{OutTTY: true, Width: 90}, true, false, Output{}},
		{"a pipe", IOStreams{}, false, false, Output{}},
		{"a pipe, COLUMNS", IOStreams{Getenv: env(map[string]string{"COLUMNS": "60"})}, false, false, Output{Width: 60}},
		{"a pipe, bad COLUMNS", IOStreams{Getenv: env(map[string]string{"COLUMNS": "wide"})}, false, false, Output{}},
	}
	for _, c := range cases {
		if got := c.s.ForOutput(c.toFile, c.noColor); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestShowProgress(t *testing.T) {
	if (&IOStreams{ErrTTY: true}).ShowProgress() != true || (&IOStreams{OutTTY: true}).ShowProgress() != false {
		t.Error("progress only when stderr is a terminal")
	}
}
