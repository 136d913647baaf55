// web_pg PORT SECONDS CONNINFO [CONNECTIONS]: TechEmpower's single-query (/db) and
// multiple-queries (/queries?queries=N) tests on net/http with pgx v4 (pgxpool). Listens on
// 127.0.0.1:PORT and exits by itself after SECONDS. CONNINFO is a libpq key=value string
// ("host=127.0.0.1 port=5432 dbname=hello_world user=postgres"). CONNECTIONS: the pool's size
// (default 4 per CPU: a pgx connection runs one query at a time, so the pool is what keeps the
// server busy). pgx prepares and caches the statement per connection; /queries sends its N
// queries as one batch (pipelined: one round trip).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"time"

	"github.com/jackc/pgx/v4"
	"github.com/jackc/pgx/v4/pgxpool"
)

const worldSelect = "SELECT id, randomNumber FROM World WHERE id = $1"

type World struct {
	ID           int32 `json:"id"`
	RandomNumber int32 `json:"randomNumber"`
}

var pool *pgxpool.Pool

// queriesParam: the queries parameter per TechEmpower's rules (the first queries= pair):
// missing or not an integer: 1; below 1: 1; above 500 (however many digits): 500.
func queriesParam(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("queries"))
	if err != nil {
		if errors.Is(err, strconv.ErrRange) && n > 0 {
			return 500
		}
		return 1
	}
	if n < 1 {
		return 1
	}
	if n > 500 {
		return 500
	}
	return n
}

func randomID() int32 { return int32(rand.Intn(10000) + 1) }

func writeJSON(w http.ResponseWriter, v interface{}) {
	body, err := json.Marshal(v)
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

func dbHandler(w http.ResponseWriter, r *http.Request) {
	var wd World
	if err := pool.QueryRow(context.Background(), worldSelect, randomID()).Scan(&wd.ID, &wd.RandomNumber); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	writeJSON(w, &wd)
}

func queriesHandler(w http.ResponseWriter, r *http.Request) {
	n := queriesParam(r)
	b := &pgx.Batch{}
	for i := 0; i < n; i++ {
		b.Queue(worldSelect, randomID())
	}
	br := pool.SendBatch(context.Background(), b)
	ws := make([]World, n)
	for i := range ws {
		if err := br.QueryRow().Scan(&ws[i].ID, &ws[i].RandomNumber); err != nil {
			br.Close()
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	br.Close()
	writeJSON(w, ws)
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: web_pg PORT SECONDS CONNINFO [CONNECTIONS]")
		os.Exit(2)
	}
	port, _ := strconv.Atoi(os.Args[1])
	seconds, _ := strconv.ParseFloat(os.Args[2], 64)
	conns := 4 * runtime.NumCPU()
	if len(os.Args) > 4 {
		conns, _ = strconv.Atoi(os.Args[4])
	}
	cfg, err := pgxpool.ParseConfig(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, "web_pg:", err)
		os.Exit(1)
	}
	cfg.MaxConns = int32(conns)
	cfg.MinConns = int32(conns)
	pool, err = pgxpool.ConnectConfig(context.Background(), cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "web_pg: connect:", err)
		os.Exit(1)
	}
	if err := pool.Ping(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "web_pg: connect:", err)
		os.Exit(1)
	}
	rand.Seed(time.Now().UnixNano())
	mux := http.NewServeMux()
	mux.HandleFunc("/db", dbHandler)
	mux.HandleFunc("/queries", queriesHandler)
	go func() {
		time.Sleep(time.Duration(seconds * float64(time.Second)))
		os.Exit(0)
	}()
	srv := &http.Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), Handler: mux}
	if err := srv.ListenAndServe(); err != nil {
		fmt.Fprintln(os.Stderr, "web_pg:", err)
		os.Exit(1)
	}
}
