// The TechEmpower plaintext and json tests with Go's standard library only (net/http,
// encoding/json): a Go peer of bench/http.lua.
//
//	web_nethttp --port P [--threads N] [--duration S]
//
// Listens on 127.0.0.1:P; GET /plaintext answers "Hello, World!" (text/plain), GET /json a
// {"message":"Hello, World!"} object serialized per request with encoding/json. net/http adds
// Date (refreshed every second) and Content-Length; Server is set here. --threads sets
// GOMAXPROCS (default: every core). The process exits by itself after --duration seconds
// (default 120), so a forgotten server cannot outlive a benchmark. net/http answers pipelined
// requests one at a time, one write each.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"
)

type message struct {
	Message string `json:"message"`
}

var helloWorld = []byte("Hello, World!")

func plaintext(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h["Server"] = []string{"Go"}
	h["Content-Type"] = []string{"text/plain"}
	w.Write(helloWorld)
}

func jsonHandler(w http.ResponseWriter, r *http.Request) {
	body, err := json.Marshal(&message{Message: "Hello, World!"})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Server"] = []string{"Go"}
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	w.Write(body)
}

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1")
	threads := flag.Int("threads", 0, "GOMAXPROCS (0: every core)")
	seconds := flag.Float64("duration", 120, "exit after this many seconds")
	flag.Parse()
	if *port < 1 || *port > 65535 || *threads < 0 || *seconds <= 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: web_nethttp --port P [--threads N] [--duration S]")
		os.Exit(2)
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	time.AfterFunc(time.Duration(*seconds*float64(time.Second)), func() { os.Exit(0) })
	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", plaintext)
	mux.HandleFunc("/json", jsonHandler)
	err := http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *port), mux)
	fmt.Fprintln(os.Stderr, "web_nethttp:", err)
	os.Exit(1)
}
