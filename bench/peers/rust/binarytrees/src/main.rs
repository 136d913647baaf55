//! binarytrees: trees are built top-down into an arena (one per worker, reused per tree, as the
//! rules allow a memory pool) of 8-byte nodes linked by 32-bit indices, then walked to count
//! their nodes. Index 0 is the null link, so a tree's nodes start at index 1.
//!
//! Every depth d = 4, 6, ..., D costs 2^(D-d+4) trees; each depth's trees are split into up to
//! UNITS units that the worker threads (scoped std threads) take from a shared counter.
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

const MIN_DEPTH: u32 = 4;
const UNITS: usize = 64;

#[derive(Clone, Copy, Default)]
struct Node {
    l: u32,
    r: u32,
}

struct Arena {
    nodes: Vec<Node>,
    next: u32,
}

impl Arena {
    fn new(depth: u32) -> Arena {
        Arena { nodes: vec![Node::default(); tree_nodes(depth) + 1], next: 1 }
    }

    /// Builds a tree of the given depth (pre-order) and returns its root. The nodes just above
    /// the leaves write their two leaves themselves: half the nodes are leaves, so that halves
    /// the calls.
    fn build(&mut self, depth: u32) -> u32 {
        let me = self.next;
        self.next += 1;
        let (l, r);
        if depth > 1 {
            l = self.build(depth - 1);
            r = self.build(depth - 1);
        } else if depth == 1 {
            l = self.next;
            r = l + 1;
            self.next += 2;
            self.nodes[l as usize] = Node::default();
            self.nodes[r as usize] = Node::default();
        } else {
            l = 0;
            r = 0;
        }
        self.nodes[me as usize] = Node { l, r };
        me
    }

    /// Counts the nodes reachable from root; a child that is a leaf is counted without a call.
    fn check(&self, root: u32) -> u64 {
        let t = self.nodes[root as usize];
        if t.l == 0 {
            return 1;
        }
        let mut n = 1;
        n += if self.nodes[t.l as usize].l != 0 { self.check(t.l) } else { 1 };
        n += if self.nodes[t.r as usize].l != 0 { self.check(t.r) } else { 1 };
        n
    }

    /// One tree in this arena: build, check, and the arena is free again.
    fn one_tree(&mut self, depth: u32) -> u64 {
        self.next = 1;
        let root = self.build(depth);
        self.check(root)
    }
}

fn tree_nodes(depth: u32) -> usize {
    (2usize << depth) - 1
}

fn main() {
    let n: u32 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10);
    let max_depth = n.max(MIN_DEPTH + 2);
    let mut out = String::new();
    {
        let mut stretch = Arena::new(max_depth + 1);
        let c = stretch.one_tree(max_depth + 1);
        out += &format!("stretch tree of depth {}\t check: {}\n", max_depth + 1, c);
    } // freed before the long-lived tree and the workers' arenas exist
    let mut long = Arena::new(max_depth);
    let long_root = long.build(max_depth);

    let depths: Vec<u32> = (MIN_DEPTH..=max_depth).step_by(2).collect();
    let iters = |d: u32| 1u64 << (max_depth - d + MIN_DEPTH);
    let units: Vec<usize> = depths.iter().map(|&d| (iters(d) as usize).min(UNITS)).collect();
    let threads = std::thread::available_parallelism().map(|v| v.get()).unwrap_or(1);
    let next = AtomicUsize::new(0);
    let total = depths.len() * UNITS;
    let work = || {
        let mut arena = Arena::new(max_depth);
        let mut sums = vec![0u64; depths.len()];
        loop {
            let u = next.fetch_add(1, Ordering::Relaxed);
            if u >= total {
                break;
            }
            let (di, share) = (u / UNITS, u % UNITS);
            if share >= units[di] {
                continue;
            }
            let per = iters(depths[di]) / units[di] as u64;
            let mut sum = 0;
            for _ in 0..per {
                sum += arena.one_tree(depths[di]);
            }
            sums[di] += sum;
        }
        sums
    };
    let mut sums = vec![0u64; depths.len()];
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mine = work();
        for (a, b) in sums.iter_mut().zip(mine) {
            *a += b;
        }
        for h in handles {
            for (a, b) in sums.iter_mut().zip(h.join().unwrap()) {
                *a += b;
            }
        }
    });
    for (di, &d) in depths.iter().enumerate() {
        out += &format!("{}\t trees of depth {}\t check: {}\n", iters(d), d, sums[di]);
    }
    out += &format!("long lived tree of depth {}\t check: {}\n", max_depth, long.check(long_root));
    std::io::stdout().write_all(out.as_bytes()).unwrap();
}
