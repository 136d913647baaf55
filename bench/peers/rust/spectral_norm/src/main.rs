//! spectral-norm: u = 1; ten times v = AtA u, u = AtA v; then sqrt(u.v / v.v). Each product row
//! is a dot product over j in a fixed order of 4-wide partial sums (whatever the thread count),
//! and blocks of rows go to the worker threads (scoped std threads, one fork-join per product).
//! A(i, j) = 1 / ((i+j)(i+j+1)/2 + i + 1) is computed, not stored: exact integers in f64.
//! The row loop is compiled twice, for AVX2 (picked at run time) and for the baseline.
use std::io::Write;

/// Rows [begin, end) of out = A in (or At in when `transpose`).
#[inline(always)]
fn rows_generic(input: &[f64], out: &mut [f64], begin: usize, transpose: bool) {
    let n = input.len();
    for (r, o) in out.iter_mut().enumerate() {
        let i = begin + r;
        let di = i as f64;
        let mut acc = [0.0f64; 4];
        // j as doubles, carried in a vector (exact integers) rather than converted each step
        let mut jj = [0.0, 1.0, 2.0, 3.0];
        let mut j = 0;
        for u in input.chunks_exact(4) {
            for l in 0..4 {
                let s = di + jj[l];
                let d = if transpose { s * (s + 1.0) * 0.5 + jj[l] + 1.0 } else { s * (s + 1.0) * 0.5 + di + 1.0 };
                acc[l] += u[l] / d;
                jj[l] += 4.0;
            }
            j += 4;
        }
        let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        while j < n {
            let jj = j as f64;
            let s = di + jj;
            let d = if transpose { s * (s + 1.0) * 0.5 + jj + 1.0 } else { s * (s + 1.0) * 0.5 + di + 1.0 };
            sum += input[j] / d;
            j += 1;
        }
        *o = sum;
    }
}

/// The same rows with explicit 256-bit vectors (LLVM does not widen the 4-lane loop itself):
/// the same lanes, the same order of sums, the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn rows_avx2(input: &[f64], out: &mut [f64], begin: usize, transpose: bool) {
    use std::arch::x86_64::*;
    let n = input.len();
    let one = _mm256_set1_pd(1.0);
    let half = _mm256_set1_pd(0.5);
    let four = _mm256_set1_pd(4.0);
    for (r, o) in out.iter_mut().enumerate() {
        let i = begin + r;
        let di = i as f64;
        let vi = _mm256_set1_pd(di);
        let mut acc = _mm256_setzero_pd();
        let mut jj = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
        let mut j = 0;
        while j + 4 <= n {
            let s = _mm256_add_pd(vi, jj);
            let t = _mm256_mul_pd(_mm256_mul_pd(s, _mm256_add_pd(s, one)), half);
            // s(s+1)/2 + i + 1 (or + j + 1): added one term at a time like the scalar code
            let d = if transpose {
                _mm256_add_pd(_mm256_add_pd(t, jj), one)
            } else {
                _mm256_add_pd(_mm256_add_pd(t, vi), one)
            };
            acc = _mm256_add_pd(acc, _mm256_div_pd(_mm256_loadu_pd(input.as_ptr().add(j)), d));
            jj = _mm256_add_pd(jj, four);
            j += 4;
        }
        let mut a = [0.0f64; 4];
        _mm256_storeu_pd(a.as_mut_ptr(), acc);
        let mut sum = (a[0] + a[1]) + (a[2] + a[3]);
        while j < n {
            let jj = j as f64;
            let s = di + jj;
            let d = if transpose { s * (s + 1.0) * 0.5 + jj + 1.0 } else { s * (s + 1.0) * 0.5 + di + 1.0 };
            sum += input[j] / d;
            j += 1;
        }
        *o = sum;
    }
}

unsafe fn rows_base(input: &[f64], out: &mut [f64], begin: usize, transpose: bool) {
    if transpose {
        rows_generic(input, out, begin, true)
    } else {
        rows_generic(input, out, begin, false)
    }
}

type RowsFn = unsafe fn(&[f64], &mut [f64], usize, bool);

struct Ctx {
    rows: RowsFn,
    threads: usize,
}

impl Ctx {
    /// out = A in (or At in), rows split into blocks over the threads.
    fn mul(&self, input: &[f64], out: &mut [f64], transpose: bool) {
        let n = input.len();
        let threads = if n >= 256 { self.threads } else { 1 };
        let chunk = n / (8 * threads) + 1;
        let jobs: Vec<(usize, &mut [f64])> = out.chunks_mut(chunk).enumerate().collect();
        let jobs = std::sync::Mutex::new(jobs.into_iter());
        let f = self.rows;
        let work = || loop {
            let job = jobs.lock().unwrap().next();
            match job {
                Some((b, o)) => unsafe { f(input, o, b * chunk, transpose) },
                None => break,
            }
        };
        if threads == 1 {
            work();
            return;
        }
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
    }

    fn ata(&self, input: &[f64], tmp: &mut [f64], out: &mut [f64]) {
        self.mul(input, tmp, false);
        self.mul(tmp, out, true);
    }
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(100);
    let mut rows: RowsFn = rows_base;
    #[cfg(target_arch = "x86_64")]
    {
        if std::env::var_os("HOTPATH_PEER_ISA").is_none() && is_x86_feature_detected!("avx2") {
            rows = rows_avx2;
        }
    }
    let ctx = Ctx { rows, threads: std::thread::available_parallelism().map(|v| v.get()).unwrap_or(1) };
    let mut u = vec![1.0f64; n];
    let mut v = vec![0.0f64; n];
    let mut t = vec![0.0f64; n];
    for _ in 0..10 {
        ctx.ata(&u, &mut t, &mut v);
        ctx.ata(&v, &mut t, &mut u);
    }
    let (mut vbv, mut vv) = (0.0, 0.0);
    for i in 0..n {
        vbv += u[i] * v[i];
        vv += v[i] * v[i];
    }
    let out = format!("{:.9}\n", (vbv / vv as f64).sqrt());
    std::io::stdout().write_all(out.as_bytes()).unwrap();
}
