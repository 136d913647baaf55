//! k-nucleotide: reads a fasta file on stdin and counts the k-mers of the ">THREE" sequence.
//! k-mers are their 2-bit codes (A=0 C=1 G=2 T=3, so numeric key order is letter order), most
//! significant first. k <= 6 come from one direct table of 4096 6-mer counters (a shorter
//! k-mer's count is the sum over the 6-mers it starts, plus the last 5 positions); 12- and
//! 18-mers go into open-addressing hash tables of packed slots (the "update a hashtable" pass;
//! the generator has only 139968 states, so they stay near 140,000 keys).
//!
//! The sequence is packed into one byte per letter first; then three jobs (12-mers, 18-mers,
//! 6-mers) go to the worker threads (scoped std threads), each table with one owner. Hash table
//! keys are added a block at a time: a block's slots are hashed and prefetched first, then
//! probed, so the probes (the tables outgrow a core's L2) find their lines on the way.
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

const COUNT_BITS: u32 = 27;
const COUNT_MASK: u64 = (1 << COUNT_BITS) - 1;
const PAD: usize = 64;
const BLOCK: usize = 64;

/// Linear probing without wrap-around: PAD slots past the capacity take the probes that run off
/// the end (the table grows if a probe runs past them). A slot is (key + 1) << COUNT_BITS |
/// count, 0 when empty.
struct Table {
    slots: Vec<u64>,
    mask: usize,
    used: usize,
    shift: u32,
}

impl Table {
    fn new(log2cap: u32) -> Table {
        Table { slots: vec![0; (1 << log2cap) + PAD], mask: (1 << log2cap) - 1, used: 0, shift: 64 - log2cap }
    }

    #[inline(always)]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    /// Adds n to key's count, probing from slot i; true when the table grew (homes are stale).
    #[inline(always)]
    fn add_at(&mut self, key: u64, mut i: usize, n: u64) -> bool {
        let tag = (key + 1) << COUNT_BITS;
        let end = self.slots.len();
        while i < end {
            let s = unsafe { *self.slots.get_unchecked(i) };
            if s & !COUNT_MASK == tag {
                unsafe { *self.slots.get_unchecked_mut(i) = s + n };
                return false;
            }
            if s == 0 {
                break;
            }
            i += 1;
        }
        if i < end {
            self.slots[i] = tag | n;
            self.used += 1;
            if self.used * 4 <= self.mask * 3 {
                return false;
            }
            self.grow();
            return true;
        }
        self.grow(); // ran off the padding: a bigger table spreads the cluster
        let h = self.home(key);
        self.add_at(key, h, n);
        true
    }

    #[cold]
    fn grow(&mut self) {
        let old = std::mem::replace(self, Table::new(64 - self.shift + 1));
        for s in old.slots {
            if s != 0 {
                let key = (s >> COUNT_BITS) - 1;
                let h = self.home(key);
                self.add_at(key, h, s & COUNT_MASK);
            }
        }
    }

    fn get(&self, key: u64) -> u64 {
        let tag = (key + 1) << COUNT_BITS;
        for &s in &self.slots[self.home(key)..] {
            if s & !COUNT_MASK == tag {
                return s & COUNT_MASK;
            }
            if s == 0 {
                break;
            }
        }
        0
    }

    fn add_block(&mut self, keys: &[u64]) {
        let mut idx = [0usize; BLOCK];
        for (j, &k) in keys.iter().enumerate() {
            idx[j] = self.home(k);
            #[cfg(target_arch = "x86_64")]
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch::<_MM_HINT_T0>(self.slots.as_ptr().add(idx[j]) as *const i8);
            }
        }
        for j in 0..keys.len() {
            if self.add_at(keys[j], idx[j], 1) {
                for i in j + 1..keys.len() {
                    idx[i] = self.home(keys[i]);
                }
            }
        }
    }
}

/// Counts the k-mers (k = 12 or 18) of seq (codes 0..3) into a table.
fn count_big(seq: &[u8], k: usize, log2cap: u32) -> Table {
    let mut t = Table::new(log2cap);
    let mask: u64 = (1 << (2 * k)) - 1;
    let mut key = 0u64;
    for &c in &seq[..seq.len().min(k - 1)] {
        key = key << 2 | c as u64;
    }
    if seq.len() >= k {
        for chunk in seq[k - 1..].chunks(BLOCK) {
            let mut keys = [0u64; BLOCK];
            for (j, &c) in chunk.iter().enumerate() {
                key = (key << 2 | c as u64) & mask;
                keys[j] = key;
            }
            t.add_block(&keys[..chunk.len()]);
        }
    }
    t
}

/// 6-mer counts of seq.
fn count_six(seq: &[u8]) -> Vec<u32> {
    let mut six = vec![0u32; 4096];
    let mut key = 0usize;
    for (i, &c) in seq.iter().enumerate() {
        key = (key << 2 | c as usize) & 4095;
        if i >= 5 {
            six[key] += 1;
        }
    }
    six
}

fn letters(key: u64, k: usize) -> String {
    (0..k).map(|i| b"ACGT"[(key >> (2 * (k - 1 - i)) & 3) as usize] as char).collect()
}

fn main() {
    let mut input = Vec::new();
    std::io::stdin().lock().read_to_end(&mut input).unwrap();
    // the lines after the ">THREE" header, up to the next '>'
    let mut at = 0;
    let mut start = None;
    while at < input.len() {
        let nl = input[at..].iter().position(|&b| b == b'\n').map_or(input.len(), |p| at + p);
        if input[at..].starts_with(b">THREE") {
            start = Some(nl + 1);
            break;
        }
        at = nl + 1;
    }
    let mut code = [0xFFu8; 256];
    for (i, &l) in b"ACGT".iter().enumerate() {
        code[l as usize] = i as u8;
        code[(l | 0x20) as usize] = i as u8;
    }
    let mut seq = Vec::with_capacity(input.len().saturating_sub(start.unwrap_or(0)));
    if let Some(s) = start {
        for line in input[s.min(input.len())..].split(|&b| b == b'\n') {
            if line.first() == Some(&b'>') {
                break;
            }
            for &b in line {
                let c = code[b as usize];
                if c != 0xFF {
                    seq.push(c);
                }
            }
        }
    } else {
        eprintln!("knucleotide: no \">THREE\" header in the input");
        std::process::exit(1);
    }
    drop(input);
    let n = seq.len();
    let log2cap = if n > 1 << 20 { 18 } else { 12 };
    let threads = if n > 1 << 20 { std::thread::available_parallelism().map(|v| v.get()).unwrap_or(1) } else { 1 };

    // three jobs, the two big ones first; each result has one owner
    let next = AtomicUsize::new(0);
    let results = std::thread::scope(|s| {
        let work = || {
            let mut mine: (Option<Table>, Option<Table>, Option<Vec<u32>>) = (None, None, None);
            loop {
                match next.fetch_add(1, Ordering::Relaxed) {
                    0 => mine.0 = Some(count_big(&seq, 12, log2cap)),
                    1 => mine.1 = Some(count_big(&seq, 18, log2cap)),
                    2 => mine.2 = Some(count_six(&seq)),
                    _ => break,
                }
            }
            mine
        };
        let handles: Vec<_> = (1..threads.min(3)).map(|_| s.spawn(work)).collect();
        let mut results = vec![work()];
        for h in handles {
            results.push(h.join().unwrap());
        }
        results
    });
    let (mut t12, mut t18, mut six) = (None, None, None);
    for r in results {
        t12 = t12.or(r.0);
        t18 = t18.or(r.1);
        six = six.or(r.2);
    }
    let (t12, t18, six) = (t12.unwrap(), t18.unwrap(), six.unwrap());

    // k <= 6: sums over the 6-mers they start, plus the k-mers starting in the last 5 positions
    let mut small = vec![vec![0u64; 4096]; 7];
    for key in 0..4096usize {
        for k in 1..=6 {
            small[k][key >> (2 * (6 - k))] += six[key] as u64;
        }
    }
    for p in n.saturating_sub(5)..n {
        let mut key = 0usize;
        for k in 1..6 {
            if p + k > n {
                break;
            }
            key = key << 2 | seq[p + k - 1] as usize;
            small[k][key] += 1;
        }
    }

    let mut out = String::new();
    for k in 1..=2 {
        let mut f: Vec<(u64, u64)> = (0..1u64 << (2 * k)).map(|key| (key, small[k][key as usize])).filter(|e| e.1 > 0).collect();
        let total: u64 = f.iter().map(|e| e.1).sum();
        f.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (key, c) in f {
            out += &format!("{} {:.3}\n", letters(key, k), 100.0 * c as f64 / total as f64);
        }
        out.push('\n');
    }
    for q in ["GGT", "GGTA", "GGTATT", "GGTATTTTAATT", "GGTATTTTAATTTATAGT"] {
        let key = q.bytes().fold(0u64, |a, b| a << 2 | code[b as usize] as u64);
        let c = match q.len() {
            12 => t12.get(key),
            18 => t18.get(key),
            k => small[k][key as usize],
        };
        out += &format!("{}\t{}\n", c, q);
    }
    std::io::stdout().write_all(out.as_bytes()).unwrap();
}
