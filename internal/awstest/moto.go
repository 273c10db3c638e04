// Package awstest runs moto_server for end-to-end tests through the real
// AWS SDK. Tests skip, saying why, where moto_server is not installed.
package awstest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"testing"
	"time"
)

// Moto is a running moto_server.
type Moto struct {
	Endpoint string
	cmd      *exec.Cmd
}

// Start starts moto_server on a free loopback port, or skips the test when
// moto_server is missing. Call Stop when done (TestMain) or use StartT.
func Start() (*Moto, error) {
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		return nil, fmt.Errorf("moto_server not found on PATH: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start moto_server: %w", err)
	}
	m := &Moto{Endpoint: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, m.Endpoint+"/moto-api/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			return m, nil
		}
		if ctx.Err() != nil {
			m.Stop()
			return nil, fmt.Errorf("moto_server did not answer on %s within 30s", m.Endpoint)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Reset forgets everything moto holds, between tests.
func (m *Moto) Reset() error {
	resp, err := http.Post(m.Endpoint+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	return nil
}

// Stop ends moto_server.
func (m *Moto) Stop() {
	if m.cmd.Process != nil {
		_ = m.cmd.Process.Kill()
		_ = m.cmd.Wait()
	}
}

// Env sets what the SDK needs to talk to moto (fake credentials, a region,
// no instance metadata lookups) for the rest of the test.
func Env(t testing.TB) {
	t.Helper()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "",
		"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true", "AWS_PROFILE": "",
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		t.Setenv(k, v)
	}
}

// InsertRow puts a row right after a CSV's header: moto's credential report
// has no <root_account> row, and the fakes that stand in for AWS there add
// one with it.
func InsertRow(csv []byte, row string) []byte {
	header, rest, _ := bytes.Cut(csv, []byte("\n"))
	return slices.Concat(header, []byte("\n"+row+"\n"), rest)
}
