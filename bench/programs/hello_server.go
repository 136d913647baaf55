// The TechEmpower plaintext and json tests with Go's standard library only (net/http,
// encoding/json), as the Go peer of bench/http.lua:
//
//	hello_server PORT [SECONDS]
//
// listens on 127.0.0.1:PORT; GET /plaintext answers "Hello, World!" (text/plain), GET /json a
// {"message":"Hello, World!"} object serialized per request with encoding/json. net/http adds
// Date (refreshed every second) and Content-Length; Server is set here. The process exits by
// itself after SECONDS (default 120), so a forgotten server cannot outlive a benchmark.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
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
	if len(os.Args) < 2 || len(os.Args) > 3 {
		fmt.Fprintln(os.Stderr, "usage: hello_server PORT [SECONDS]")
		os.Exit(2)
	}
	port, err := strconv.Atoi(os.Args[1])
	if err != nil || port < 1 || port > 65535 {
		fmt.Fprintf(os.Stderr, "hello_server: bad port %q\n", os.Args[1])
		os.Exit(2)
	}
	seconds := 120.0
	if len(os.Args) == 3 {
		seconds, err = strconv.ParseFloat(os.Args[2], 64)
		if err != nil || seconds <= 0 {
			fmt.Fprintf(os.Stderr, "hello_server: bad duration %q\n", os.Args[2])
			os.Exit(2)
		}
	}
	time.AfterFunc(time.Duration(seconds*float64(time.Second)), func() { os.Exit(0) })
	mux := http.NewServeMux()
	mux.HandleFunc("/plaintext", plaintext)
	mux.HandleFunc("/json", jsonHandler)
	log.Fatal(http.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", port), mux))
}
