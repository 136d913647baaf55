//! fasta: the reference programs' generator. random(max) = max * seed / IM after
//! seed = (seed * IA + IC) % IM; a nucleotide is the first whose cumulative probability (summed
//! in f64, in table order) exceeds random(1.0).
//!
//! The LCG has only IM states and the letter depends on the state alone, so each weighted table
//! is expanded once into an IM-entry letter table (the same comparison, made once per state);
//! the hot loop is one multiply-modulo and one load per letter. The whole output is built in
//! one buffer and written at once.
use std::io::Write;

const IM: u32 = 139968;
const IA: u32 = 3877;
const IC: u32 = 29573;
const LINE: usize = 60;

const ALU: &[u8] = b"GGCCGGGCGCGGTGGCTCACGCCTGTAATCCCAGCACTTTGG\
GAGGCCGAGGCGGGCGGATCACCTGAGGTCAGGAGTTCGAGA\
CCAGCCTGGCCAACATGGTGAAACCCCGTCTCTACTAAAAAT\
ACAAAAATTAGCCGGGCGTGGTGGCGCGCGCCTGTAATCCCA\
GCTACTCGGGAGGCTGAGGCAGGAGAATCGCTTGAACCCGGG\
AGGCGGAGGTTGCAGTGAGCCGAGATCGCGCCACTGCACTCC\
AGCCTGGGCGACAGAGCGAGACTCCGTCTCAAAAA";

const IUB: &[(u8, f64)] = &[
    (b'a', 0.27), (b'c', 0.12), (b'g', 0.12), (b't', 0.27), (b'B', 0.02),
    (b'D', 0.02), (b'H', 0.02), (b'K', 0.02), (b'M', 0.02), (b'N', 0.02),
    (b'R', 0.02), (b'S', 0.02), (b'V', 0.02), (b'W', 0.02), (b'Y', 0.02),
];

const HOMO: &[(u8, f64)] = &[
    (b'a', 0.3029549426680), (b'c', 0.1979883004921),
    (b'g', 0.1975473066391), (b't', 0.3015094502008),
];

/// The letter random(1.0) == state / IM picks, for every LCG state.
fn expand(w: &[(u8, f64)]) -> Vec<u8> {
    let mut cum = Vec::with_capacity(w.len());
    let mut cp = 0.0;
    for &(_, p) in w {
        cp += p;
        cum.push(cp);
    }
    (0..IM)
        .map(|s| {
            let r = 1.0 * s as f64 / IM as f64;
            let mut i = 0;
            while i < w.len() - 1 && !(r < cum[i]) {
                i += 1;
            }
            w[i].0
        })
        .collect()
}

/// n letters cycled from ALU, in lines of 60.
fn repeat(out: &mut Vec<u8>, mut n: usize) {
    let mut at = 0;
    while n > 0 {
        let m = n.min(LINE);
        for _ in 0..m {
            out.push(ALU[at]);
            at += 1;
            if at == ALU.len() {
                at = 0;
            }
        }
        out.push(b'\n');
        n -= m;
    }
}

/// n weighted random letters, in lines of 60; advances *seed.
fn random_letters(out: &mut Vec<u8>, mut n: usize, letters: &[u8], seed: &mut u32) {
    let mut s = *seed;
    let letters = &letters[..IM as usize];
    while n > 0 {
        let m = n.min(LINE);
        for _ in 0..m {
            s = (s * IA + IC) % IM;
            out.push(letters[s as usize]);
        }
        out.push(b'\n');
        n -= m;
    }
    *seed = s;
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let lines = |k: usize| k + (k + LINE - 1) / LINE;
    let mut out = Vec::with_capacity(100 + lines(2 * n) + lines(3 * n) + lines(5 * n));
    let iub = expand(IUB);
    let homo = expand(HOMO);
    let mut seed = 42;
    out.extend_from_slice(b">ONE Homo sapiens alu\n");
    repeat(&mut out, 2 * n);
    out.extend_from_slice(b">TWO IUB ambiguity codes\n");
    random_letters(&mut out, 3 * n, &iub, &mut seed);
    out.extend_from_slice(b">THREE Homo sapiens frequency\n");
    random_letters(&mut out, 5 * n, &homo, &mut seed);
    std::io::stdout().write_all(&out).unwrap();
}
