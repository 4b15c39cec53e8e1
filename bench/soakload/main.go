// Command soakload is bench/soak's load: n GET requests to one URL from c
// keep-alive connections on loopback, and after every `every` of them a
// row with the throughput of that stretch, the answers that were not 2xx
// and the resident memory of a process (gatescope) and of its process
// tree (its functions included), read from /proc. It stops by itself
// after n requests.
//
//	soakload -url http://127.0.0.1:PORT/noop -n 1000000 -every 100000 -pid PID
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	url := flag.String("url", "", "URL to GET")
	n := flag.Int64("n", 1_000_000, "requests in all")
	every := flag.Int64("every", 100_000, "requests per row")
	c := flag.Int("c", 16, "connections")
	pid := flag.Int("pid", 0, "process whose memory is reported (and its tree)")
	stats := flag.String("stats", "", "gatescope's /api/stats URL: captured and dropped exchanges per row")
	flag.Parse()
	if *url == "" || *pid == 0 || !strings.HasPrefix(*url, "http://127.0.0.1:") {
		log.Fatal("soakload: -url http://127.0.0.1:… and -pid are needed (loopback only)")
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *c, DisableCompression: true}}

	var issued, done, bad atomic.Int64
	rows := make(chan int64, 1)
	var wg sync.WaitGroup
	for range *c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for issued.Add(1) <= *n {
				resp, err := client.Get(*url)
				if err != nil {
					bad.Add(1)
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode/100 != 2 {
						bad.Add(1)
					}
				}
				if d := done.Add(1); d%*every == 0 {
					rows <- d
				}
			}
		}()
	}
	go func() { wg.Wait(); close(rows) }()

	fmt.Printf("%10s %9s %8s %14s %14s %10s %9s\n", "requests", "req/s", "non-2xx", "gatescope MB", "with fns MB", "captured", "dropped")
	last, lastBad := time.Now(), int64(0)
	var first, final [2]float64 // req/s, RSS of gatescope
	for d := range rows {
		now := time.Now()
		rps := float64(*every) / now.Sub(last).Seconds()
		own, tree := rssMB(*pid), treeRSSMB(*pid)
		b := bad.Load()
		captured, dropped := captureCounts(*stats)
		fmt.Printf("%10d %9.0f %8d %14.1f %14.1f %10s %9s\n", d, rps, b-lastBad, own, tree, captured, dropped)
		if first[0] == 0 {
			first = [2]float64{rps, own}
		}
		final = [2]float64{rps, own}
		last, lastBad = now, b
	}
	if first[0] > 0 {
		fmt.Printf("last ÷ first: throughput %.2f, gatescope RSS %.2f; non-2xx in all: %d\n",
			final[0]/first[0], final[1]/first[1], bad.Load())
	}
}

// captureCounts reads gatescope's capture counters, "-" when not asked
// or not answered.
func captureCounts(url string) (captured, dropped string) {
	if url == "" {
		return "-", "-"
	}
	resp, err := http.Get(url)
	if err != nil {
		return "-", "-"
	}
	defer resp.Body.Close()
	var st struct{ Captured, Dropped *int64 }
	if json.NewDecoder(resp.Body).Decode(&st) != nil || st.Captured == nil || st.Dropped == nil {
		return "-", "-"
	}
	return strconv.FormatInt(*st.Captured, 10), strconv.FormatInt(*st.Dropped, 10)
}

// rssMB is a process's resident set (VmRSS) in MB; 0 if unknown.
func rssMB(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	_, rest, ok := bytes.Cut(b, []byte("VmRSS:"))
	if !ok {
		return 0
	}
	line, _, _ := bytes.Cut(rest, []byte("\n"))
	kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(string(line)), "kB")))
	return float64(kb) / 1024
}

// treeRSSMB is the resident set of pid and all its descendants.
func treeRSSMB(pid int) float64 {
	kids := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+2:]))
		if len(f) > 1 {
			pp, _ := strconv.Atoi(f[1])
			kids[pp] = append(kids[pp], p)
		}
	}
	total, todo := 0.0, []int{pid}
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		total += rssMB(p)
		todo = append(todo, kids[p]...)
	}
	return total
}
