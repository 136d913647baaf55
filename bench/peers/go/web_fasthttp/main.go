// The TechEmpower plaintext and json tests on fasthttp (Debian's
// golang-github-valyala-fasthttp-dev): a Go peer of bench/http.lua.
//
//	web_fasthttp --port P [--threads N] [--duration S]
//
// Listens on 127.0.0.1:P; GET /plaintext answers "Hello, World!" (text/plain), GET /json a
// {"message":"Hello, World!"} object serialized per request with jsoniter (Debian's
// golang-github-json-iterator-go-dev; encoding/json-compatible output). fasthttp adds Server
// (the Name below), Date (cached per second) and Content-Length. --threads sets GOMAXPROCS
// (default: every core). The process exits by itself after --duration seconds (default 120).
// fasthttp reads pipelined requests from its buffer and flushes their responses together once
// the buffer is empty: one write per batch. One process (TechEmpower's entry runs one per
// core with SO_REUSEPORT; here the load generator shares the cores).
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	jsoniter "github.com/json-iterator/go"
	"github.com/valyala/fasthttp"
)

type message struct {
	Message string `json:"message"`
}

var helloWorld = []byte("Hello, World!")

func handler(ctx *fasthttp.RequestCtx) {
	switch string(ctx.Path()) {
	case "/plaintext":
		ctx.SetContentType("text/plain")
		ctx.SetBody(helloWorld)
	case "/json":
		body, err := jsoniter.ConfigCompatibleWithStandardLibrary.Marshal(&message{Message: "Hello, World!"})
		if err != nil {
			ctx.Error(err.Error(), fasthttp.StatusInternalServerError)
			return
		}
		ctx.SetContentType("application/json")
		ctx.SetBody(body)
	default:
		ctx.Error("not found", fasthttp.StatusNotFound)
	}
}

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1")
	threads := flag.Int("threads", 0, "GOMAXPROCS (0: every core)")
	seconds := flag.Float64("duration", 120, "exit after this many seconds")
	flag.Parse()
	if *port < 1 || *port > 65535 || *threads < 0 || *seconds <= 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: web_fasthttp --port P [--threads N] [--duration S]")
		os.Exit(2)
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	time.AfterFunc(time.Duration(*seconds*float64(time.Second)), func() { os.Exit(0) })
	s := &fasthttp.Server{Handler: handler, Name: "fasthttp"}
	err := s.ListenAndServe(fmt.Sprintf("127.0.0.1:%d", *port))
	fmt.Fprintln(os.Stderr, "web_fasthttp:", err)
	os.Exit(1)
}
