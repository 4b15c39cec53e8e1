// Command plain is the load test's baseline: a bare net/http handler that
// answers like the benchmark function does, on the address in argv[1].
package main

import (
	"io"
	"log"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	})
	log.Fatal(http.ListenAndServe(os.Args[1], nil))
}
