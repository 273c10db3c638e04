// Command latencyproxy forwards HTTP requests to an AWS emulator after a
// fixed delay, as a remote AWS endpoint would add, and counts them. GET
// /__count returns the number of requests forwarded so far.
//
//	go run ./bench/latencyproxy -listen 127.0.0.1:5100 -target http://127.0.0.1:5000 -latency 50ms
package main

import (
	"flag"
	"fmt"
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
		proxy.ServeHTTP(w, r)
	})
	log.Printf("forwarding %s -> %s with %s latency", *listen, *target, *latency)
	log.Fatal(http.ListenAndServe(*listen, nil))
}
