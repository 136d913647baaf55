//! tasks N MODE FIB: N tokio tasks on the multi-thread runtime, task i computing fib(i % 30);
//! their JoinHandles are awaited in order and the sum is printed.
//!   MODE run:  tasks start as they are spawned.
//!   MODE hold: every task first waits on a shared read lock that the spawner holds for writing
//!              until the last task is spawned, so all N are alive at once (the peak RSS at
//!              several N gives the bytes per live task); then they compute.
//!   FIB recursive | iterative.
use std::sync::Arc;
use tokio::sync::RwLock;

fn fib_recursive(n: u32) -> u64 {
    if n < 2 {
        n as u64
    } else {
        fib_recursive(n - 1) + fib_recursive(n - 2)
    }
}

fn fib_iterative(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let t = a + b;
        a = b;
        b = t;
    }
    a
}

fn usage() -> ! {
    eprintln!("usage: tasks N run|hold recursive|iterative");
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        usage();
    }
    let n: u64 = args[1].parse().unwrap_or_else(|_| usage());
    let hold = match args[2].as_str() {
        "run" => false,
        "hold" => true,
        _ => usage(),
    };
    let fib: fn(u32) -> u64 = match args[3].as_str() {
        "recursive" => fib_recursive,
        "iterative" => fib_iterative,
        _ => usage(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread().build().unwrap();
    let sum = rt.block_on(async move {
        let gate = Arc::new(RwLock::new(()));
        let closed = if hold { Some(gate.clone().write_owned().await) } else { None };
        let mut handles = Vec::with_capacity(n as usize);
        for i in 0..n {
            let x = (i % 30) as u32;
            if hold {
                let gate = gate.clone();
                handles.push(tokio::spawn(async move {
                    let _open = gate.read().await;
                    fib(x)
                }));
            } else {
                handles.push(tokio::spawn(async move { fib(x) }));
            }
        }
        drop(closed); // every task is spawned: release them
        let mut sum = 0u64;
        for h in handles {
            sum += h.await.unwrap();
        }
        sum
    });
    println!("{}", sum);
}
