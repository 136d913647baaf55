//! mandelbrot: c = (2x/N - 1.5) + (2y/N - 1)i, z0 = 0, 50 iterations of z = z^2 + c, a pixel is
//! in when |z|^2 <= 4 throughout. P4 bitmap on stdout.
//!
//! Rows go to all cores (scoped std threads taking blocks of rows from a shared counter). Within
//! a row, GROUP vectors of pixels iterate together so that their multiply/add chains overlap;
//! the escape test runs every 5 iterations and a group stops early only when every pixel in it
//! has escaped. A pixel's bit is the final test |z|^2 <= 4: for |c| < 1.81 (all pixels here),
//! once |z| > 2 the modulus keeps growing, so an escaped pixel never comes back (and an
//! overflow to inf/NaN also fails "<= 4"). Same bits as the early-break reference.
//!
//! SIMD: AVX2 (4 doubles) when the CPU has it (runtime detection), else SSE2 (2 doubles, the
//! x86-64 baseline), else a portable scalar path on other architectures. No FMA: Rust never
//! contracts a*b+c, so the rounding is the reference's.
use std::io::Write;

const ITER: usize = 50;
const CHECK_EVERY: usize = 5;
const GROUP: usize = 3; // vectors in flight: 3 x 5 live vectors fit in 16 registers (4 spilled, 8% more CPU)
const ROWS_PER_JOB: usize = 4;

/// The vector operations a row needs; implemented for AVX2, SSE2 and plain f64.
trait Lanes: Copy {
    const W: usize;
    unsafe fn splat(v: f64) -> Self;
    unsafe fn load(p: *const f64) -> Self;
    unsafe fn add(self, o: Self) -> Self;
    unsafe fn sub(self, o: Self) -> Self;
    unsafe fn mul(self, o: Self) -> Self;
    /// bit l set when lane l is <= limit
    unsafe fn le_bits(self, limit: Self) -> u32;
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Lanes;
    use std::arch::x86_64::*;

    #[derive(Clone, Copy)]
    pub struct Avx(__m256d);
    impl Lanes for Avx {
        const W: usize = 4;
        #[inline(always)]
        unsafe fn splat(v: f64) -> Self { Avx(_mm256_set1_pd(v)) }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self { Avx(_mm256_loadu_pd(p)) }
        #[inline(always)]
        unsafe fn add(self, o: Self) -> Self { Avx(_mm256_add_pd(self.0, o.0)) }
        #[inline(always)]
        unsafe fn sub(self, o: Self) -> Self { Avx(_mm256_sub_pd(self.0, o.0)) }
        #[inline(always)]
        unsafe fn mul(self, o: Self) -> Self { Avx(_mm256_mul_pd(self.0, o.0)) }
        #[inline(always)]
        unsafe fn le_bits(self, limit: Self) -> u32 {
            _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_LE_OQ>(self.0, limit.0)) as u32
        }
    }

    #[derive(Clone, Copy)]
    pub struct Sse(__m128d);
    impl Lanes for Sse {
        const W: usize = 2;
        #[inline(always)]
        unsafe fn splat(v: f64) -> Self { Sse(_mm_set1_pd(v)) }
        #[inline(always)]
        unsafe fn load(p: *const f64) -> Self { Sse(_mm_loadu_pd(p)) }
        #[inline(always)]
        unsafe fn add(self, o: Self) -> Self { Sse(_mm_add_pd(self.0, o.0)) }
        #[inline(always)]
        unsafe fn sub(self, o: Self) -> Self { Sse(_mm_sub_pd(self.0, o.0)) }
        #[inline(always)]
        unsafe fn mul(self, o: Self) -> Self { Sse(_mm_mul_pd(self.0, o.0)) }
        #[inline(always)]
        unsafe fn le_bits(self, limit: Self) -> u32 { _mm_movemask_pd(_mm_cmple_pd(self.0, limit.0)) as u32 }
    }

    #[target_feature(enable = "avx2")]
    pub unsafe fn row_avx2(cr: &[f64], ci: f64, row: &mut [u8]) { super::kernel::<Avx>(cr, ci, row) }

    pub unsafe fn row_sse2(cr: &[f64], ci: f64, row: &mut [u8]) { super::kernel::<Sse>(cr, ci, row) }
}

#[derive(Clone, Copy)]
struct Scalar(f64);
impl Lanes for Scalar {
    const W: usize = 1;
    #[inline(always)]
    unsafe fn splat(v: f64) -> Self { Scalar(v) }
    #[inline(always)]
    unsafe fn load(p: *const f64) -> Self { Scalar(*p) }
    #[inline(always)]
    unsafe fn add(self, o: Self) -> Self { Scalar(self.0 + o.0) }
    #[inline(always)]
    unsafe fn sub(self, o: Self) -> Self { Scalar(self.0 - o.0) }
    #[inline(always)]
    unsafe fn mul(self, o: Self) -> Self { Scalar(self.0 * o.0) }
    #[inline(always)]
    unsafe fn le_bits(self, limit: Self) -> u32 { (self.0 <= limit.0) as u32 }
}

unsafe fn row_scalar(cr: &[f64], ci: f64, row: &mut [u8]) { kernel::<Scalar>(cr, ci, row) }

/// One row: `cr` holds 2x/N - 1.5 for every x, padded to whole groups; `row` gets the bytes.
/// Pixel p of a group is lane p % W of vector p / W; the bits of whole bytes are written as
/// they are complete (a group need not end on a byte).
#[inline(always)]
unsafe fn kernel<V: Lanes>(cr: &[f64], ci: f64, row: &mut [u8]) {
    let ci = V::splat(ci);
    let four = V::splat(4.0);
    let px = GROUP * V::W; // pixels per group
    let mut bits: u64 = 0; // pending pixels, first at bit 0
    let mut pending = 0usize;
    let mut at = 0usize; // next output byte
    let mut x = 0usize;
    while at < row.len() {
        let p = cr.as_ptr().add(x);
        let mut c = [V::splat(0.0); GROUP];
        for k in 0..GROUP {
            c[k] = V::load(p.add(k * V::W));
        }
        let mut zr = [V::splat(0.0); GROUP];
        let mut zi = zr;
        let mut tr = zr;
        let mut ti = zr;
        let mut alive = true;
        let mut it = 0;
        while it < ITER {
            for _ in 0..CHECK_EVERY {
                for k in 0..GROUP {
                    // 2*zr*zi as (zr+zr)*zi: an exact doubling, the same bits
                    zi[k] = zr[k].add(zr[k]).mul(zi[k]).add(ci);
                    zr[k] = tr[k].sub(ti[k]).add(c[k]);
                    tr[k] = zr[k].mul(zr[k]);
                    ti[k] = zi[k].mul(zi[k]);
                }
            }
            it += CHECK_EVERY;
            let mut any = 0;
            for k in 0..GROUP {
                any |= tr[k].add(ti[k]).le_bits(four);
            }
            if any == 0 {
                alive = false;
                break;
            }
        }
        let mut g: u64 = 0;
        if alive {
            for k in 0..GROUP {
                g |= (tr[k].add(ti[k]).le_bits(four) as u64) << (k * V::W);
            }
        }
        bits |= g << pending;
        pending += px;
        while pending >= 8 && at < row.len() {
            row[at] = (bits as u8).reverse_bits();
            at += 1;
            bits >>= 8;
            pending -= 8;
        }
        x += px;
    }
}

type RowFn = unsafe fn(&[f64], f64, &mut [u8]);

/// The widest path the CPU has; HOTPATH_PEER_ISA=sse2 or scalar forces a narrower one (to test
/// the fallbacks).
fn pick() -> RowFn {
    let want = std::env::var("HOTPATH_PEER_ISA").unwrap_or_default();
    #[cfg(target_arch = "x86_64")]
    {
        if want.is_empty() && is_x86_feature_detected!("avx2") {
            return x86::row_avx2;
        }
        if want != "scalar" {
            return x86::row_sse2;
        }
    }
    let _ = want;
    row_scalar
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let bytes = (n + 7) / 8;
    let head = format!("P4\n{} {}\n", n, n);
    let mut out = vec![0u8; head.len() + bytes * n];
    out[..head.len()].copy_from_slice(head.as_bytes());
    let nf = n as f64;
    // whole groups of up to 16 pixels past the last byte, so loads never run off the end
    let cr: Vec<f64> = (0..bytes * 8 + 16).map(|x| 2.0 * x as f64 / nf - 1.5).collect();
    let f = pick();
    let rows = &mut out[head.len()..];
    if n > 0 {
        let threads = if n >= 64 {
            std::thread::available_parallelism().map(|v| v.get()).unwrap_or(1)
        } else {
            1
        };
        let jobs: Vec<(usize, &mut [u8])> = rows.chunks_mut(bytes * ROWS_PER_JOB).enumerate().collect();
        let jobs = std::sync::Mutex::new(jobs.into_iter());
        let work = || loop {
            let job = jobs.lock().unwrap().next();
            let (j, chunk) = match job {
                Some(v) => v,
                None => break,
            };
            for (r, row) in chunk.chunks_mut(bytes).enumerate() {
                let y = j * ROWS_PER_JOB + r;
                let ci = 2.0 * y as f64 / nf - 1.0;
                unsafe { f(&cr, ci, row) };
                let used = n - 8 * (bytes - 1);
                if used < 8 {
                    row[bytes - 1] &= (0xFF00u32 >> used) as u8;
                }
            }
        };
        std::thread::scope(|s| {
            for _ in 1..threads {
                s.spawn(work);
            }
            work();
        });
    }
    std::io::stdout().write_all(&out).unwrap();
}
