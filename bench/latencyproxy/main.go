// Command latencyproxy forwards HTTP requests to an AWS emulator after a
// fixed delay, as a remote AWS endpoint would add, and counts them. GET
// /__count returns the number of requests forwarded so far.
//
// It answers iam:ListOrganizationsFeatures itself (both centralized root
// access features enabled), which moto 5.2.1 does not implement: moto's
// error would be retried for seconds and measure the retries, not the run.
//
//	go run ./bench/latencyproxy -listen 127.0.0.1:5100 -target http://127.0.0.1:5000 -latency 50ms
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on (loopback only)")
	target := flag.String("target", "", "emulator URL to forward to")
	latency := flag.Duration("latency", 50*time.Millisecond, "delay added to every request")
	flag.Parse()
	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		log.Fatalf("-target: want a URL, got %q", *target)
	}
	var count atomic.Int64
	proxy := httputil.NewSingleHostReverseProxy(u)
	proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	http.HandleFunc("/__count", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, count.Load()) })
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		count.Add(1)
		time.Sleep(*latency)
		if r.Method == http.MethodPost && r.Body != nil {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			if bytes.Contains(body, []byte("Action=ListOrganizationsFeatures")) {
				w.Header().Set("Content-Type", "text/xml")
				fmt.Fprint(w, orgFeatures)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		proxy.ServeHTTP(w, r)
	})
	log.Printf("forwarding %s -> %s with %s latency", *listen, *target, *latency)
	log.Fatal(http.ListenAndServe(*listen, nil))
}

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
