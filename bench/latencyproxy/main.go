// Command latencyproxy forwards HTTP requests to an AWS emulator after a
// fixed delay, as a remote AWS endpoint would add, and counts them. GET
// /__count returns the number of requests forwarded so far.
//
// It answers iam:ListOrganizationsFeatures itself (both centralized root
// access features enabled), which moto 5.2.1 does not implement: moto's
// error would be retried for seconds and measure the retries, not the run.
//
// With -replay, it records the emulator's answers and gives them again for
// the same request from the same account, so a timed run measures the
// client and the latency, not the emulator (moto answers every call in one
// Python process, which shares the machine with the client). The
// credential report's calls, whose answers change as a report is
// generated, are replayed in the order the warm-up got them (being
// generated, then done), so a timed run waits as the warm-up did.
// -listen-warm adds a listener without latency that fills the recording,
// for an untimed warm-up run. GET /__rewind replays the sequences from
// their start again, for the next timed run.
//
//	go run ./bench/latencyproxy -listen 127.0.0.1:5100 -target http://127.0.0.1:5000 -latency 50ms
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type answer struct {
	status int
	header http.Header
	body   []byte
}

// recording is what the emulator answered, shared by the listeners.
type recording struct {
	mu      sync.Mutex
	answers map[[32]byte]answer
	// sequences are the credential report calls' answers in the order the
	// warm-up got them (asked, being generated, done); the timed runs get
	// them again in that order, the last repeated. played is how far.
	sequences map[[32]byte][]answer
	played    map[[32]byte]int
	accounts  map[string]string // access key ID → account, learnt from AssumeRole
	akid      *regexp.Regexp    // the access key ID in a SigV4 Authorization header
	roleArn   *regexp.Regexp    // the account of AssumeRole's RoleArn
	respAKID  *regexp.Regexp    // the access key ID in AssumeRole's answer
}

// listener serves one address: a latency, and whether to replay. The
// warm-up listener records credential report sequences; the other plays
// them.
type listener struct {
	target  *httputil.ReverseProxy
	latency time.Duration
	replay  bool
	warm    bool
	rec     *recording
	count   atomic.Int64
	// trace, when set, gets a line per request: start and end (Unix ns)
	// and the action.
	trace   *os.File
	traceMu sync.Mutex
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback only)")
	warm := flag.String("listen-warm", "", "with -replay: a second address, without latency, that fills the same recording")
	target := flag.String("target", "", "emulator URL to forward to")
	latency := flag.Duration("latency", 50*time.Millisecond, "delay added to every request")
	replay := flag.Bool("replay", false, "answer a request seen before from the recording (credential report calls excepted)")
	trace := flag.String("trace", "", "append to this file, for each request to -listen, when it came and was answered (Unix ns) and its action")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		log.Fatalf("-target: want a URL, got %q", *target)
	}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	rec := &recording{answers: map[[32]byte]answer{}, sequences: map[[32]byte][]answer{}, played: map[[32]byte]int{}, accounts: map[string]string{},
		akid:     regexp.MustCompile(`Credential=([A-Z0-9]+)/`),
		roleArn:  regexp.MustCompile(`RoleArn=arn%3Aaws%3Aiam%3A%3A(\d{12})%3A`),
		respAKID: regexp.MustCompile(`<AccessKeyId>([A-Z0-9]+)</AccessKeyId>`)}
	if *warm != "" {
		w := &listener{target: rp, replay: *replay, warm: true, rec: rec}
		go func() { log.Fatal(http.ListenAndServe(*warm, w.handler())) }()
		log.Printf("warm-up listener %s without latency", *warm)
	}
	l := &listener{target: rp, latency: *latency, replay: *replay, rec: rec}
	if *trace != "" {
		f, err := os.OpenFile(*trace, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Fatal(err)
		}
		l.trace = f
	}
	log.Printf("forwarding %s -> %s with %s latency, replay %v", *listen, *target, *latency, *replay)
	log.Fatal(http.ListenAndServe(*listen, l.handler()))
}

func (l *listener) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/__count", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, l.count.Load()) })
	// A timed run replays the credential report sequences from their
	// start, as the first timed run did: /__rewind before each.
	mux.HandleFunc("/__rewind", func(w http.ResponseWriter, _ *http.Request) {
		l.rec.mu.Lock()
		clear(l.rec.played)
		l.rec.mu.Unlock()
		fmt.Fprintln(w, "rewound")
	})
	mux.HandleFunc("/", l.serve)
	return mux
}

func (l *listener) serve(w http.ResponseWriter, r *http.Request) {
	l.count.Add(1)
	start := time.Now()
	time.Sleep(l.latency)
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	if l.trace != nil {
		defer func() {
			action := r.Header.Get("X-Amz-Target")
			if m := actionRE.FindSubmatch(body); m != nil {
				action = string(m[1])
			}
			l.traceMu.Lock()
			fmt.Fprintf(l.trace, "%d %d %s\n", start.UnixNano(), time.Now().UnixNano(), action)
			l.traceMu.Unlock()
		}()
	}
	if bytes.Contains(body, []byte("Action=ListOrganizationsFeatures")) {
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, orgFeatures)
		return
	}
	rec := l.rec
	key, cacheable := rec.key(r, body)
	report := bytes.Contains(body, []byte("CredentialReport"))
	if l.replay && report && !l.warm {
		rec.mu.Lock()
		seq := rec.sequences[key]
		var a answer
		if len(seq) > 0 {
			a = seq[min(rec.played[key], len(seq)-1)]
			rec.played[key]++
		}
		rec.mu.Unlock()
		if len(seq) > 0 {
			write(w, a)
			return
		}
	}
	if l.replay && cacheable {
		rec.mu.Lock()
		a, ok := rec.answers[key]
		rec.mu.Unlock()
		if ok {
			write(w, a)
			return
		}
	}
	rw := httptest.NewRecorder()
	l.target.ServeHTTP(rw, r)
	res := rw.Result()
	out, _ := io.ReadAll(res.Body)
	if m := rec.roleArn.FindSubmatch(body); m != nil && bytes.Contains(body, []byte("Action=AssumeRole")) {
		if a := rec.respAKID.FindSubmatch(out); a != nil {
			rec.mu.Lock()
			rec.accounts[string(a[1])] = string(m[1])
			rec.mu.Unlock()
		}
	}
	got := answer{status: res.StatusCode, header: res.Header.Clone(), body: out}
	switch {
	case l.replay && report && l.warm:
		rec.mu.Lock()
		rec.sequences[key] = append(rec.sequences[key], got)
		rec.mu.Unlock()
	case l.replay && cacheable && res.StatusCode/100 == 2:
		rec.mu.Lock()
		rec.answers[key] = got
		rec.mu.Unlock()
	}
	write(w, got)
}

func write(w http.ResponseWriter, a answer) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// key identifies a request: the account its credentials belong to, the
// operation and its parameters. Credential report calls are not cacheable
// (their answers change as a report is generated): they are replayed as
// sequences.
func (rec *recording) key(r *http.Request, body []byte) ([32]byte, bool) {
	cacheable := !bytes.Contains(body, []byte("CredentialReport"))
	account := ""
	if m := rec.akid.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		rec.mu.Lock()
		account = rec.accounts[m[1]]
		rec.mu.Unlock()
		if account == "" {
			account = m[1] // the base credentials
		}
	}
	h := sha256.New()
	for _, part := range []string{account, r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Amz-Target"), strings.SplitN(r.Host, ".", 2)[0]} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(body)
	var k [32]byte
	copy(k[:], h.Sum(nil))
	return k, cacheable
}

// actionRE finds the action of a query-protocol request.
var actionRE = regexp.MustCompile(`Action=([A-Za-z]+)`)

// orgFeatures is IAM's answer to ListOrganizationsFeatures with both
// features on, as AWS documents it.
const orgFeatures = `<ListOrganizationsFeaturesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <ListOrganizationsFeaturesResult>
    <OrganizationId>o-bench000000</OrganizationId>
    <EnabledFeatures><member>RootCredentialsManagement</member><member>RootSessions</member></EnabledFeatures>
  </ListOrganizationsFeaturesResult>
  <ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata>
</ListOrganizationsFeaturesResponse>
`
