package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain lets the test binary act as rootwatch itself, so the tests below
// check what a shell sees: exit codes and which stream gets what.
func TestMain(m *testing.M) {
	if os.Getenv("ROOTWATCH_RUN_MAIN") == "1" {
		main()
		return
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
	os.WriteFile(filepath.Join(dir, "junk.csv"), []byte("hello\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "ok.csv"), []byte(strings.Join([]string{
		"user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated",
		"<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,true,no_information,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
	}, "\n")), 0o644)
	out, errOut, code = rootwatch(t, "audit", "--credential-report", dir)
	if code != 3 || !strings.Contains(errOut, "junk.csv") || !strings.Contains(out, "junk.csv") {
		t.Errorf("partial input: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}
