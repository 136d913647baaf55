//! The TechEmpower plaintext and json tests on hyper 0.14 (HTTP/1.1 only) and tokio's
//! multi-thread runtime: the Rust peer of bench/http.lua.
//!
//!     web_hyper --port P [--threads N] [--duration S]
//!
//! Listens on 127.0.0.1:P. GET /plaintext answers "Hello, World!" (text/plain), GET /json a
//! {"message":"Hello, World!"} object serialized per request with serde_json (TechEmpower
//! rules); anything else is a 404. hyper adds Date (cached per second) and Content-Length;
//! Server is set here. --threads sets the runtime's worker threads (default: one per core);
//! the process exits by itself after --duration seconds (default 120), so a forgotten server
//! cannot outlive a benchmark.
//!
//! `pipeline_flush` makes hyper answer a batch of pipelined requests with one write, as
//! TechEmpower's own hyper entry does; TCP_NODELAY is on, so a lone response leaves at once.
use hyper::header::{HeaderValue, CONTENT_TYPE, SERVER};
use hyper::server::conn::Http;
use hyper::service::service_fn;
use hyper::{Body, Request, Response, StatusCode};
use serde_derive::Serialize;
use std::convert::Infallible;
use std::time::Duration;

#[derive(Serialize)]
struct Message {
    message: &'static str,
}

static HELLO: &[u8] = b"Hello, World!";

fn respond(body: Body, content_type: &'static str) -> Response<Body> {
    let mut res = Response::new(body);
    let h = res.headers_mut();
    h.insert(SERVER, HeaderValue::from_static("hyper"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

async fn handle(req: Request<Body>) -> Result<Response<Body>, Infallible> {
    Ok(match req.uri().path() {
        "/plaintext" => respond(Body::from(HELLO), "text/plain"),
        "/json" => {
            let body = serde_json::to_vec(&Message { message: "Hello, World!" }).expect("serialize");
            respond(Body::from(body), "application/json")
        }
        _ => {
            let mut res = respond(Body::empty(), "text/plain");
            *res.status_mut() = StatusCode::NOT_FOUND;
            res
        }
    })
}

fn usage(msg: &str) -> ! {
    eprintln!("web_hyper: {}\nusage: web_hyper --port P [--threads N] [--duration S]", msg);
    std::process::exit(2)
}

fn main() {
    let (mut port, mut threads, mut duration) = (0u16, 0usize, 120.0f64);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        let v = args.get(i + 1).unwrap_or_else(|| usage(&format!("{} needs a value", args[i])));
        match args[i].as_str() {
            "--port" => port = v.parse().ok().filter(|&p| p > 0).unwrap_or_else(|| usage(&format!("bad port {:?}", v))),
            "--threads" => threads = v.parse().unwrap_or_else(|_| usage(&format!("bad thread count {:?}", v))),
            "--duration" => duration = v.parse().ok().filter(|&d: &f64| d > 0.0).unwrap_or_else(|| usage(&format!("bad duration {:?}", v))),
            other => usage(&format!("unknown argument {:?}", other)),
        }
        i += 2;
    }
    if port == 0 {
        usage("--port is required");
    }
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if threads > 0 {
        rt.worker_threads(threads);
    }
    let rt = rt.build().expect("tokio runtime");
    rt.block_on(async move {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(duration)).await;
            std::process::exit(0);
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap_or_else(|e| {
            eprintln!("web_hyper: cannot listen on 127.0.0.1:{}: {}", port, e);
            std::process::exit(1)
        });
        let mut http = Http::new();
        http.http1_only(true).pipeline_flush(true);
        loop {
            let (sock, _) = match listener.accept().await {
                Ok(c) => c,
                Err(_) => continue, // EMFILE and the like: keep serving the others
            };
            let _ = sock.set_nodelay(true);
            let http = http.clone();
            tokio::spawn(async move {
                let _ = http.serve_connection(sock, service_fn(handle)).await;
            });
        }
    });
}
