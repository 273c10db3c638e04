package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rootwatch/rootwatch/internal/cli"
)

// TestMain lets the test binary act as rootwatch itself, so the tests below
// check what a shell sees: exit codes and which stream gets what.
func TestMain(m *testing.M) {
	switch os.Getenv("ROOTWATCH_RUN_MAIN") {
	case "1":
		main()
		return
	case "panic":
		// A bug in the main flow.
		setup()
		os.Exit(run(cli.SystemDeps("test"), func(context.Context, *cli.Deps) error { panic("boom") }))
	case "goroutine-panic":
		// A bug in a worker goroutine: recover cannot reach it.
		setup()
		os.Exit(run(cli.SystemDeps("test"), func(context.Context, *cli.Deps) error {
			go func() { panic("boom in a worker") }()
			select {}
		}))
	}
	os.Exit(m.Run())
}

func rootwatch(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ROOTWATCH_RUN_MAIN=1")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestExitCodesAndStreams(t *testing.T) {
	out, _, code := rootwatch(t, "audit", "--demo", "--format", "json")
	if code != 1 {
		t.Errorf("demo audit exit %d, want 1", code)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Errorf("stdout is not the JSON report: %v", err)
	}
	if _, _, code := rootwatch(t, "audit", "--demo", "--fail-on", "none"); code != 0 {
		t.Errorf("--fail-on none: exit %d", code)
	}
	// No input means the current account, live; without credentials
	// nothing can be audited.
	for k, v := range map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull, "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI": "", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "", "AWS_REGION": "us-east-1"} {
		t.Setenv(k, v)
	}
	out, errOut, code := rootwatch(t, "audit")
	if code != 2 || out != "" || !strings.Contains(errOut, "sts:GetCallerIdentity") || !strings.Contains(errOut, "credential chain") {
		t.Errorf("no credentials: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	dir := t.TempDir()
	mustDo(t, os.WriteFile(filepath.Join(dir, "junk.csv"), []byte("hello\n"), 0o644))
	mustDo(t, os.WriteFile(filepath.Join(dir, "ok.csv"), []byte(strings.Join([]string{
		"user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated",
		"<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,true,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
	}, "\n")), 0o644))
	out, errOut, code = rootwatch(t, "audit", "--credential-report", dir)
	if code != 3 || !strings.Contains(errOut, "junk.csv") || !strings.Contains(out, "junk.csv") {
		t.Errorf("partial input: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}

// SIGTERM is handled like Ctrl-C, also while standard input is read (it
// stays open here, as a terminal's would): the run ends, exit 143 for
// SIGTERM and 130 for SIGINT, and no temporary file is left beside
// --output.
func TestSignalsEndARunReadingStdin(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		msg  string
	}{
		{syscall.SIGTERM, 143, "rootwatch: interrupted by SIGTERM (an --output file is left as it was)"},
		{syscall.SIGINT, 130, "rootwatch: interrupted by SIGINT (an --output file is left as it was)"},
	} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "audit", "--snapshot", "-", "--output", filepath.Join(dir, "report.json"))
		cmd.Env = append(os.Environ(), "ROOTWATCH_RUN_MAIN=1")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// More than a pipe holds: once written, rootwatch is reading
		// (its signal handling set up before), then it waits for more.
		if _, err := io.WriteString(stdin, `{"rootwatch_snapshot": 1, "accounts": [`+strings.Repeat(" ", 1<<20)); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Process.Signal(tc.sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Errorf("%v: %v, want exit %d; stderr %s", tc.sig, err, tc.code, errb.String())
			}
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("%v: still running 20s after the signal", tc.sig)
		}
		stdin.Close()
		if !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%v: stderr %q, want %q", tc.sig, errb.String(), tc.msg)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("%v: left %v", tc.sig, entries)
		}
	}
}

// A crash is never exit 2 (a usage error): a panic in the main flow is
// reported as a bug, exit 70; one in a goroutine aborts (SIGABRT).
func TestCrashIsNotAUsageError(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "ROOTWATCH_RUN_MAIN=panic")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 70 {
		t.Errorf("panic: %v, want exit 70", err)
	}
	for _, want := range []string{"rootwatch: internal error: boom", "This is a bug in rootwatch", "Please report it", "main_test.go"} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("panic: stderr lacks %q:\n%s", want, errb.String())
		}
	}
	cmd = exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "ROOTWATCH_RUN_MAIN=goroutine-panic", "GOTRACEBACK=")
	cmd.Dir = t.TempDir() // where a core file would go, if the limit allows one
	errb.Reset()
	cmd.Stderr = &errb
	err = cmd.Run()
	if !errors.As(err, &ee) {
		t.Fatalf("goroutine panic: %v", err)
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGABRT {
		t.Errorf("goroutine panic: exit %d (%v), want SIGABRT", ee.ExitCode(), ee)
	}
	if !strings.Contains(errb.String(), "boom in a worker") {
		t.Errorf("goroutine panic: stderr %.300s", errb.String())
	}
}

// --version comes from the build: the ldflags value, else the module's
// version and VCS revision.
func TestBuildVersion(t *testing.T) {
	rev := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: "3c4121d0a1b2c3d4e5f60718293a4b5c6d7e8f90"}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		ldflags string
		bi      *debug.BuildInfo
		want    string
	}{
		{"v1.4.0", &debug.BuildInfo{Main: debug.Module{Version: "v1.3.0"}, Settings: rev("true")}, "v1.4.0"},
		{"", nil, "dev"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev("false")}, "dev-3c4121d0a1b2"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev("true")}, "dev-3c4121d0a1b2+dirty"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}, Settings: rev("false")}, "v1.2.0-3c4121d0a1b2"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.0+dirty"}, Settings: rev("true")}, "v1.2.0-3c4121d0a1b2+dirty"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261204075406-3c4121d0a1b2+dirty"}, Settings: rev("true")}, "v0.0.0-20261204075406-3c4121d0a1b2+dirty"},
		{"", &debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261204075406-3c4121d0a1b2"}, Settings: rev("false")}, "v0.0.0-20261204075406-3c4121d0a1b2"},
	} {
		if got := buildVersion(tc.ldflags, tc.bi); got != tc.want {
			t.Errorf("buildVersion(%q, %+v) = %q, want %q", tc.ldflags, tc.bi, got, tc.want)
		}
	}
}

// mustDo stops the test when a step of its setup fails.
func mustDo(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("test setup: %v", err)
	}
}
