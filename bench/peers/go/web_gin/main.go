// The TechEmpower plaintext and json tests on gin (Debian's golang-github-gin-gonic-gin-dev),
// built with gin's `jsoniter` build tag (build.tags here) so that c.JSON serializes with
// jsoniter: a Go peer of bench/http.lua.
//
//	web_gin --port P [--threads N] [--duration S]
//
// Listens on 127.0.0.1:P; GET /plaintext answers "Hello, World!" (text/plain), GET /json a
// {"message":"Hello, World!"} object serialized per request by gin's c.JSON (its Content-Type
// is "application/json; charset=utf-8"). Release mode, no middleware (no logger, no
// recovery). gin runs on net/http, which adds Date and Content-Length; Server is set here.
// --threads sets GOMAXPROCS (default: every core). The process exits by itself after
// --duration seconds (default 120).
package main

import (
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"time"

	"github.com/gin-gonic/gin"
)

type message struct {
	Message string `json:"message"`
}

var helloWorld = []byte("Hello, World!")

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1")
	threads := flag.Int("threads", 0, "GOMAXPROCS (0: every core)")
	seconds := flag.Float64("duration", 120, "exit after this many seconds")
	flag.Parse()
	if *port < 1 || *port > 65535 || *threads < 0 || *seconds <= 0 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: web_gin --port P [--threads N] [--duration S]")
		os.Exit(2)
	}
	if *threads > 0 {
		runtime.GOMAXPROCS(*threads)
	}
	time.AfterFunc(time.Duration(*seconds*float64(time.Second)), func() { os.Exit(0) })
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/plaintext", func(c *gin.Context) {
		c.Header("Server", "gin")
		c.Data(http.StatusOK, "text/plain", helloWorld)
	})
	r.GET("/json", func(c *gin.Context) {
		c.Header("Server", "gin")
		c.JSON(http.StatusOK, &message{Message: "Hello, World!"})
	})
	err := r.Run(fmt.Sprintf("127.0.0.1:%d", *port))
	fmt.Fprintln(os.Stderr, "web_gin:", err)
	os.Exit(1)
}
