//! web_pg PORT SECONDS CONNINFO [CONNECTIONS]: TechEmpower's single-query (`/db`) and
//! multiple-queries (`/queries?queries=N`) tests on hyper 0.14 (tokio's multi-thread runtime)
//! with tokio-postgres. Listens on 127.0.0.1:PORT, exits by itself after SECONDS. CONNINFO is a
//! libpq key=value string ("host=127.0.0.1 port=5432 dbname=hello_world user=postgres").
//! CONNECTIONS database connections (default: one per CPU), each with the prepared statement;
//! requests take them round-robin. tokio-postgres pipelines the queries that are in flight on
//! one connection at once, so /queries sends its N queries together and awaits them all.
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, SERVER};
use hyper::service::{make_service_fn, service_fn};
use hyper::{Body, Request, Response, Server, StatusCode};
use serde::Serialize;
use std::cell::Cell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::num::IntErrorKind;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio_postgres::{Client, NoTls, Statement};

#[derive(Serialize)]
struct World {
    id: i32,
    #[serde(rename = "randomNumber")]
    random_number: i32,
}

struct Db {
    client: Client,
    stmt: Statement,
}

struct Pool {
    dbs: Vec<Db>,
    next: AtomicUsize,
}

impl Pool {
    fn get(&self) -> &Db {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        &self.dbs[i % self.dbs.len()]
    }
}

thread_local! {
    static RNG: Cell<u64> = Cell::new(0);
}

/// A random World id in 1..=10000 (xorshift64*, one state per worker thread).
fn random_id() -> i32 {
    RNG.with(|c| {
        let mut x = c.get();
        if x == 0 {
            let t = &x as *const u64 as u64;
            x = (std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64)
                ^ t.rotate_left(32)
                | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        c.set(x);
        ((x.wrapping_mul(0x2545F4914F6CDD1D) >> 33) % 10000) as i32 + 1
    })
}

/// The queries parameter per TechEmpower's rules (the first `queries=` pair): missing or not
/// an integer: 1; below 1: 1; above 500 (however many digits): 500.
fn queries_param(query: Option<&str>) -> usize {
    let v = query.and_then(|q| q.split('&').find_map(|p| p.strip_prefix("queries=")));
    let n: i64 = match v {
        None => 1,
        Some(v) => match v.parse::<i64>() {
            Ok(n) => n,
            Err(e) if *e.kind() == IntErrorKind::PosOverflow => 500,
            Err(_) => 1,
        },
    };
    n.clamp(1, 500) as usize
}

fn json_response(body: Vec<u8>) -> Response<Body> {
    let len = body.len();
    let mut r = Response::new(Body::from(body));
    let h = r.headers_mut();
    h.insert(SERVER, HeaderValue::from_static("hyper"));
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(CONTENT_LENGTH, HeaderValue::from(len));
    r
}

fn status(code: StatusCode) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = code;
    r.headers_mut().insert(SERVER, HeaderValue::from_static("hyper"));
    r
}

async fn fetch(db: &Db, id: i32) -> Result<World, tokio_postgres::Error> {
    let row = db.client.query_one(&db.stmt, &[&id]).await?;
    Ok(World { id: row.get(0), random_number: row.get(1) })
}

async fn handle(pool: Arc<Pool>, req: Request<Body>) -> Result<Response<Body>, Infallible> {
    let db = pool.get();
    match req.uri().path() {
        "/db" => match fetch(db, random_id()).await {
            Ok(w) => Ok(json_response(serde_json::to_vec(&w).unwrap())),
            Err(_) => Ok(status(StatusCode::INTERNAL_SERVER_ERROR)),
        },
        "/queries" => {
            let n = queries_param(req.uri().query());
            let futs = (0..n).map(|_| fetch(db, random_id()));
            match futures_util::future::try_join_all(futs).await {
                Ok(ws) => Ok(json_response(serde_json::to_vec(&ws).unwrap())),
                Err(_) => Ok(status(StatusCode::INTERNAL_SERVER_ERROR)),
            }
        }
        _ => Ok(status(StatusCode::NOT_FOUND)),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: web_pg PORT SECONDS CONNINFO [CONNECTIONS]");
        std::process::exit(2);
    }
    let port: u16 = args[1].parse().expect("PORT");
    let seconds: f64 = args[2].parse().expect("SECONDS");
    let conninfo = args[3].clone();
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let nconn: usize = args.get(4).map(|s| s.parse().expect("CONNECTIONS")).unwrap_or(cpus);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async move {
        let mut dbs = Vec::with_capacity(nconn);
        for _ in 0..nconn {
            let (client, conn) = match tokio_postgres::connect(&conninfo, NoTls).await {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("web_pg: connect: {}", e);
                    std::process::exit(1);
                }
            };
            tokio::spawn(conn);
            let stmt = client
                .prepare("SELECT id, randomNumber FROM World WHERE id = $1")
                .await
                .expect("prepare");
            dbs.push(Db { client, stmt });
        }
        let pool = Arc::new(Pool { dbs, next: AtomicUsize::new(0) });
        let make = make_service_fn(move |_| {
            let pool = pool.clone();
            async move { Ok::<_, Infallible>(service_fn(move |req| handle(pool.clone(), req))) }
        });
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let server = Server::bind(&addr).http1_pipeline_flush(true).tcp_nodelay(true).serve(make);
        tokio::spawn(async move {
            tokio::time::sleep(std::time::Duration::from_secs_f64(seconds)).await;
            std::process::exit(0);
        });
        if let Err(e) = server.await {
            eprintln!("web_pg: {}", e);
            std::process::exit(1);
        }
    });
}
