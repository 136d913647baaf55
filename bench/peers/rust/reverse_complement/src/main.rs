//! reverse-complement: reads a fasta file on stdin; for each record prints its header and the
//! complement of its sequence read backwards, in lines of 60. One sequential pass strips a
//! record's line breaks into a work buffer; then every output line is independent of the
//! others, so blocks of lines go to the worker threads (scoped std threads) when the record is
//! large.
use std::io::{Read, Write};

const LINE: usize = 60;
const LINES_PER_JOB: usize = 4096;

/// Writes the output lines of seq (complemented, backwards) into out (n + lines bytes).
fn lines(seq: &[u8], comp: &[u8; 256], out: &mut [u8], first_line: usize) {
    let n = seq.len();
    for (l, o) in out.chunks_mut(LINE + 1).enumerate() {
        let from = (first_line + l) * LINE;
        let m = (n - from).min(LINE);
        let src = &seq[n - from - m..n - from];
        for (d, &s) in o[..m].iter_mut().zip(src.iter().rev()) {
            *d = comp[s as usize];
        }
        o[m] = b'\n';
    }
}

fn main() {
    let mut input = Vec::new();
    std::io::stdin().lock().read_to_end(&mut input).unwrap();
    let mut comp = [0u8; 256];
    for (i, c) in comp.iter_mut().enumerate() {
        *c = i as u8;
    }
    for (&f, &t) in b"ACGTUMRWSYKVHDBN".iter().zip(b"TGCAAKYWSRMBDHVN".iter()) {
        comp[f as usize] = t;
        comp[(f | 0x20) as usize] = t;
    }
    let threads = std::thread::available_parallelism().map(|v| v.get()).unwrap_or(1);
    let mut out = Vec::with_capacity(input.len() + input.len() / LINE + 2);
    let mut seq = Vec::with_capacity(input.len());
    let end = input.len();
    let line_end = |p: usize| input[p..].iter().position(|&b| b == b'\n').map_or(end, |q| p + q);
    let mut p = 0;
    while p < end && input[p] != b'>' {
        p = line_end(p) + 1; // skip to the first header
    }
    while p < end {
        let nl = line_end(p);
        out.extend_from_slice(&input[p..nl]);
        out.push(b'\n');
        p = nl + 1;
        seq.clear();
        while p < end && input[p] != b'>' {
            let nl = line_end(p);
            let mut l = &input[p..nl];
            if l.last() == Some(&b'\r') {
                l = &l[..l.len() - 1];
            }
            seq.extend_from_slice(l);
            p = nl + 1;
        }
        let n = seq.len();
        let nlines = (n + LINE - 1) / LINE;
        let at = out.len();
        out.resize(at + n + nlines, 0);
        let dst = &mut out[at..];
        if n >= 1 << 20 && threads > 1 {
            let jobs: Vec<(usize, &mut [u8])> = dst.chunks_mut(LINES_PER_JOB * (LINE + 1)).enumerate().collect();
            let jobs = std::sync::Mutex::new(jobs.into_iter());
            let work = || loop {
                let job = jobs.lock().unwrap().next();
                match job {
                    Some((j, o)) => lines(&seq, &comp, o, j * LINES_PER_JOB),
                    None => break,
                }
            };
            std::thread::scope(|s| {
                for _ in 1..threads {
                    s.spawn(work);
                }
                work();
            });
        } else {
            lines(&seq, &comp, dst, 0);
        }
    }
    std::io::stdout().write_all(&out).unwrap();
}
