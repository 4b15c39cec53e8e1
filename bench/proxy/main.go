// Command proxy is a peer of bench/peers: one httputil.ReverseProxy hop
// in front of bench/plain, the cost of any server that forwards a request
// over loopback. Usage: proxy LISTEN-ADDR TARGET-URL.
package main

import (
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

func main() {
	target, err := url.Parse(os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(target)
	// As many idle connections to the target as wrk opens to us, so every
	// request reuses one (the default keeps 2 per host).
	p.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	// wrk ends with requests in flight: each would log "context canceled".
	p.ErrorLog = log.New(io.Discard, "", 0)
	log.Fatal(http.ListenAndServe(os.Args[1], p))
}
