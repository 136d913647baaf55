// json_decode MODE N [FILE]: decodes (or encodes) the API document N times and prints what
// bench/json.lua verifies, the same lines as the Rust peer:
//
//	line 1, decode modes: the checksum total + sum over items of (id + number of tags), the
//	        same for every decode (each decode's fields are read and compared);
//	        encode modes: that checksum of the last encoded text decoded again, a space, and
//	        the encoded text's length in bytes;
//	line 2: "allocs_per_doc A bytes_per_doc B ns_per_doc T" over the timed loop (from
//	        runtime.MemStats: Mallocs and TotalAlloc before and after it).
//
// MODE: struct (encoding/json into structs, the ApiResponse/Item shape), map (encoding/json
// into map[string]any), jsoniter (json-iterator's ConfigFastest into the same structs),
// encode_struct, encode_map, encode_jsoniter (Marshal of the document decoded once).
// The document is read from FILE, or from stdin when FILE is absent or "-".
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"time"

	jsoniter "github.com/json-iterator/go"
)

type ApiResponse struct {
	Status string `json:"status"`
	Total  uint64 `json:"total"`
	Items  []Item `json:"items"`
}

type Item struct {
	ID       uint64   `json:"id"`
	Name     string   `json:"name"`
	Tags     []string `json:"tags"`
	Metadata Metadata `json:"metadata"`
}

type Metadata struct {
	Created string  `json:"created"`
	Score   float64 `json:"score"`
	Active  bool    `json:"active"`
}

const usageText = "usage: json_decode struct|map|jsoniter|encode_struct|encode_map|encode_jsoniter N [FILE]"

var fast = jsoniter.ConfigFastest

func fail(code int, msg string) {
	if code == 2 {
		fmt.Fprintf(os.Stderr, "json_decode: %s\n%s\n", msg, usageText)
	} else {
		fmt.Fprintf(os.Stderr, "json_decode: %s\n", msg)
	}
	os.Exit(code)
}

func invalid(err error) { fail(1, "invalid document: "+err.Error()) }

const noFields = "invalid document: total, items[].id and items[].tags expected"

func structSum(d *ApiResponse) uint64 {
	s := d.Total
	for i := range d.Items {
		s += d.Items[i].ID + uint64(len(d.Items[i].Tags))
	}
	return s
}

func mapSum(m map[string]any) uint64 {
	total, ok := m["total"].(float64)
	items, ok2 := m["items"].([]any)
	if !ok || !ok2 {
		fail(1, noFields)
	}
	s := uint64(total)
	for _, x := range items {
		it, _ := x.(map[string]any)
		id, ok := it["id"].(float64)
		tags, ok2 := it["tags"].([]any)
		if !ok || !ok2 {
			fail(1, noFields)
		}
		s += uint64(id) + uint64(len(tags))
	}
	return s
}

func decodeStruct(doc []byte) uint64 {
	var d ApiResponse
	if err := json.Unmarshal(doc, &d); err != nil {
		invalid(err)
	}
	return structSum(&d)
}

func decodeJsoniter(doc []byte) uint64 {
	var d ApiResponse
	if err := fast.Unmarshal(doc, &d); err != nil {
		invalid(err)
	}
	return structSum(&d)
}

func decodeMap(doc []byte) uint64 {
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		invalid(err)
	}
	return mapSum(m)
}

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fail(2, "expected 2 or 3 arguments")
	}
	mode := os.Args[1]
	decoders := map[string]func([]byte) uint64{"struct": decodeStruct, "map": decodeMap, "jsoniter": decodeJsoniter}
	encode := mode == "encode_struct" || mode == "encode_map" || mode == "encode_jsoniter"
	if decoders[mode] == nil && !encode {
		fail(2, "MODE must be struct, map, jsoniter, encode_struct, encode_map or encode_jsoniter, got "+strconv.Quote(mode))
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 1 {
		fail(2, "N must be a positive integer, got "+strconv.Quote(os.Args[2]))
	}
	path := "-"
	if len(os.Args) == 4 {
		path = os.Args[3]
	}
	var doc []byte
	if path == "-" {
		doc, err = io.ReadAll(os.Stdin)
		path = "stdin"
	} else {
		doc, err = os.ReadFile(path)
	}
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		fail(1, "cannot read "+path+": "+err.Error())
	}

	var before, after runtime.MemStats
	var line string
	var dt time.Duration
	if !encode {
		dec := decoders[mode]
		runtime.ReadMemStats(&before)
		t0 := time.Now()
		first := dec(doc)
		for i := 1; i < n; i++ {
			if dec(doc) != first {
				fail(1, "a decode gave another checksum")
			}
		}
		dt = time.Since(t0)
		runtime.ReadMemStats(&after)
		line = strconv.FormatUint(first, 10)
	} else {
		var data any
		var marshal func(any) ([]byte, error)
		switch mode {
		case "encode_struct":
			var d ApiResponse
			if err := json.Unmarshal(doc, &d); err != nil {
				invalid(err)
			}
			data, marshal = &d, json.Marshal
		case "encode_map":
			var m map[string]any
			if err := json.Unmarshal(doc, &m); err != nil {
				invalid(err)
			}
			data, marshal = m, json.Marshal
		default:
			var d ApiResponse
			if err := fast.Unmarshal(doc, &d); err != nil {
				invalid(err)
			}
			data, marshal = &d, fast.Marshal
		}
		runtime.ReadMemStats(&before)
		t0 := time.Now()
		var out []byte
		for i := 0; i < n; i++ {
			if out, err = marshal(data); err != nil {
				fail(1, "encode: "+err.Error())
			}
		}
		dt = time.Since(t0)
		runtime.ReadMemStats(&after)
		line = strconv.FormatUint(decodeMap(out), 10) + " " + strconv.Itoa(len(out))
	}
	f := float64(n)
	fmt.Printf("%s\nallocs_per_doc %.2f bytes_per_doc %.0f ns_per_doc %.0f\n", line,
		float64(after.Mallocs-before.Mallocs)/f, float64(after.TotalAlloc-before.TotalAlloc)/f,
		float64(dt.Nanoseconds())/f)
}
