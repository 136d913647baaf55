//! json_decode MODE N [FILE]: decodes (or encodes) the API document N times with serde_json
//! and prints what bench/json.lua verifies, the same line for every language:
//!   line 1, decode modes: the checksum total + sum over items of (id + number of tags), the
//!           same for every decode (each decode's fields are read and compared);
//!           encode modes: that checksum of the last encoded text decoded again, a space, and
//!           the encoded text's length in bytes;
//!   line 2: "allocs_per_doc A bytes_per_doc B ns_per_doc T" over the timed loop (a counting
//!           global allocator around the system one: every alloc and realloc, and the bytes
//!           they asked for; the count is a plain load and store, about a nanosecond each).
//! MODE: struct (derive structs, the ApiResponse/Item shape), value (serde_json::Value),
//! encode_struct, encode_value (serde_json::to_string of the document decoded once).
//! The document is read from FILE, or from stdin when FILE is absent or "-".
use serde::{Deserialize, Serialize};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

// The program is single-threaded: load + store instead of a locked read-modify-write.
#[inline(always)]
fn count(size: usize) {
    ALLOCS.store(ALLOCS.load(Relaxed) + 1, Relaxed);
    BYTES.store(BYTES.load(Relaxed) + size as u64, Relaxed);
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size());
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        count(l.size());
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count(n);
        System.realloc(p, l, n)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[derive(Deserialize, Serialize)]
struct ApiResponse {
    status: String,
    total: u64,
    items: Vec<Item>,
}

#[derive(Deserialize, Serialize)]
struct Item {
    id: u64,
    name: String,
    tags: Vec<String>,
    metadata: Metadata,
}

#[derive(Deserialize, Serialize)]
struct Metadata {
    created: String,
    score: f64,
    active: bool,
}

const USAGE: &str = "usage: json_decode struct|value|encode_struct|encode_value N [FILE]";

fn fail(code: i32, msg: &str) -> ! {
    if code == 2 {
        eprintln!("json_decode: {}\n{}", msg, USAGE);
    } else {
        eprintln!("json_decode: {}", msg);
    }
    std::process::exit(code)
}

fn struct_sum(d: &ApiResponse) -> u64 {
    d.items.iter().fold(d.total, |s, it| s + it.id + it.tags.len() as u64)
}

fn value_sum(v: &serde_json::Value) -> Option<u64> {
    let mut s = v.get("total")?.as_u64()?;
    for it in v.get("items")?.as_array()? {
        s += it.get("id")?.as_u64()? + it.get("tags")?.as_array()?.len() as u64;
    }
    Some(s)
}

const NO_FIELDS: &str = "invalid document: total, items[].id and items[].tags expected";

fn decode_struct(doc: &str) -> u64 {
    match serde_json::from_str::<ApiResponse>(doc) {
        Ok(d) => struct_sum(&d),
        Err(e) => fail(1, &format!("invalid document: {}", e)),
    }
}

fn decode_value(doc: &str) -> u64 {
    match serde_json::from_str::<serde_json::Value>(doc) {
        Ok(v) => value_sum(&v).unwrap_or_else(|| fail(1, NO_FIELDS)),
        Err(e) => fail(1, &format!("invalid document: {}", e)),
    }
}

// "No such file or directory (os error 2)" -> "no such file or directory" (Go's wording).
fn os_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    let s = match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    };
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => s,
    }
}

// What the optimizer cannot see through (std::hint::black_box is newer than rustc 1.63): the
// document and the data are read anew for every decode and encode.
#[inline(always)]
fn opaque<T: Copy>(x: T) -> T {
    unsafe { std::ptr::read_volatile(&x) }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 && args.len() != 4 {
        fail(2, "expected 2 or 3 arguments");
    }
    let mode = args[1].as_str();
    if !matches!(mode, "struct" | "value" | "encode_struct" | "encode_value") {
        fail(2, &format!("MODE must be struct, value, encode_struct or encode_value, got {:?}", mode));
    }
    let n: u64 = match args[2].parse() {
        Ok(n) if n > 0 => n,
        _ => fail(2, &format!("N must be a positive integer, got {:?}", args[2])),
    };
    let path = if args.len() == 4 { args[3].as_str() } else { "-" };
    let mut doc = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut doc)
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut doc))
    };
    if let Err(e) = read {
        fail(1, &format!("cannot read {}: {}", if path == "-" { "stdin" } else { path }, os_text(&e)));
    }
    let doc = doc.as_str();

    let (line, dt, allocs, bytes);
    if mode == "struct" || mode == "value" {
        let dec: fn(&str) -> u64 = if mode == "struct" { decode_struct } else { decode_value };
        let (a0, b0, t0) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed), Instant::now());
        let first = dec(opaque(doc));
        for _ in 1..n {
            if dec(opaque(doc)) != first {
                fail(1, "a decode gave another checksum");
            }
        }
        dt = t0.elapsed().as_nanos() as f64;
        allocs = ALLOCS.load(Relaxed) - a0;
        bytes = BYTES.load(Relaxed) - b0;
        line = format!("{}", first);
    } else {
        let invalid = |e: serde_json::Error| -> ! { fail(1, &format!("invalid document: {}", e)) };
        let data_s;
        let data_v;
        let enc: Box<dyn Fn() -> String> = if mode == "encode_struct" {
            data_s = serde_json::from_str::<ApiResponse>(doc).unwrap_or_else(|e| invalid(e));
            Box::new(|| serde_json::to_string(opaque(&data_s)).unwrap())
        } else {
            data_v = serde_json::from_str::<serde_json::Value>(doc).unwrap_or_else(|e| invalid(e));
            Box::new(|| serde_json::to_string(opaque(&data_v)).unwrap())
        };
        let (a0, b0, t0) = (ALLOCS.load(Relaxed), BYTES.load(Relaxed), Instant::now());
        let mut out = enc();
        for _ in 1..n {
            out = enc();
        }
        dt = t0.elapsed().as_nanos() as f64;
        allocs = ALLOCS.load(Relaxed) - a0;
        bytes = BYTES.load(Relaxed) - b0;
        line = format!("{} {}", decode_value(&out), out.len());
    }
    let n = n as f64;
    println!("{}\nallocs_per_doc {:.2} bytes_per_doc {:.0} ns_per_doc {:.0}", line, allocs as f64 / n, bytes as f64 / n, dt / n);
}
