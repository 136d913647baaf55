//! fannkuch-redux: permutations in the reference programs' order (index i <-> factorial-base
//! digits count[1..n-1]), split into blocks of consecutive indices that the worker threads
//! (scoped std threads) take from a shared counter. A block starts from its index's digits and
//! then steps with the reference's rotations, so the parity of every permutation's index (the
//! checksum's sign) is its global index's.
//!
//! Flips: with AVX2 (runtime detection) permutations are collected in batches of 16, one batch
//! per parity of the index, and flipped in lock step, two 16-byte permutations to a 256-bit
//! register and eight registers in flight: reversing the first k+1 entries is one byte shuffle
//! with the mask {k, k-1, ..., 0, k+1, ..., 15}, computed from each lane's first byte. A lane
//! whose first entry is 0 gets the identity mask; the batch ends when every lane has. With only
//! SSSE3 one permutation is flipped at a time with the same shuffle; otherwise a scalar loop.
use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};

const MAX_N: usize = 16;

/// What receives each permutation with a non-zero first entry.
trait Sink {
    fn new() -> Self;
    /// `odd`: the parity of the permutation's index
    unsafe fn push(&mut self, p: &[u8; 16], odd: bool);
    /// (checksum, max flips) once every permutation was pushed
    unsafe fn finish(&mut self) -> (i64, u32);
}

struct ScalarSink {
    sum: i64,
    max: u32,
}

impl Sink for ScalarSink {
    fn new() -> Self { ScalarSink { sum: 0, max: 0 } }
    #[inline(always)]
    unsafe fn push(&mut self, p: &[u8; 16], odd: bool) {
        let mut a = *p;
        let mut f = 0u32;
        let mut k = a[0] as usize;
        while k != 0 {
            a[..=k].reverse();
            f += 1;
            k = a[0] as usize;
        }
        self.sum += if odd { -(f as i64) } else { f as i64 };
        self.max = self.max.max(f);
    }
    unsafe fn finish(&mut self) -> (i64, u32) { (self.sum, self.max) }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Sink;
    use std::arch::x86_64::*;

    /// One permutation at a time, each flip one pshufb.
    pub struct Ssse3Sink {
        masks: [__m128i; 16],
        sum: i64,
        max: u32,
    }

    impl Sink for Ssse3Sink {
        fn new() -> Self {
            let mut masks = [unsafe { _mm_setzero_si128() }; 16];
            for (k, m) in masks.iter_mut().enumerate() {
                let mut b = [0u8; 16];
                for (i, v) in b.iter_mut().enumerate() {
                    *v = if i <= k { (k - i) as u8 } else { i as u8 };
                }
                *m = unsafe { _mm_loadu_si128(b.as_ptr() as *const __m128i) };
            }
            Ssse3Sink { masks, sum: 0, max: 0 }
        }
        #[inline(always)]
        unsafe fn push(&mut self, p: &[u8; 16], odd: bool) {
            let mut v = _mm_loadu_si128(p.as_ptr() as *const __m128i);
            let mut f = 0u32;
            let mut k = p[0] as usize;
            while k != 0 {
                v = _mm_shuffle_epi8(v, *self.masks.get_unchecked(k));
                f += 1;
                k = (_mm_cvtsi128_si32(v) & 0xFF) as usize;
            }
            self.sum += if odd { -(f as i64) } else { f as i64 };
            self.max = self.max.max(f);
        }
        unsafe fn finish(&mut self) -> (i64, u32) { (self.sum, self.max) }
    }

    #[repr(align(32))]
    #[derive(Clone, Copy)]
    struct Batch([[u8; 16]; 16]);

    /// Batches of 16 per parity, flipped in lock step.
    pub struct Avx2Sink {
        batch: [Batch; 2],
        nb: [usize; 2],
        sum: [__m256i; 2], // psadbw sums, one per 64 bits
        maxv: __m256i,
    }

    const IDENT: [u8; 16] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];

    /// Flips 16 permutations in lock step; adds their flip counts to *sum and their maximum
    /// to *maxv (byte 1 of each 16-byte lane).
    #[inline(always)]
    unsafe fn flips16(b: &Batch, sum: &mut __m256i, maxv: &mut __m256i) {
        let iota = _mm256_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let zero = _mm256_setzero_si256();
        let first = _mm256_setr_epi8(-1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        let second = _mm256_setr_epi8(0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        let base = b.0.as_ptr() as *const __m256i;
        let mut p = [zero; 8];
        for (i, v) in p.iter_mut().enumerate() {
            *v = _mm256_load_si256(base.add(i));
        }
        // byte 1 of f drops by one at each step where the lane had finished (k == 0): the
        // flips are the steps plus f
        let mut f = [zero; 8];
        let mut steps: i32 = 0;
        loop {
            for _ in 0..2 {
                for i in 0..8 {
                    let k = _mm256_shuffle_epi8(p[i], zero);
                    let past = _mm256_cmpgt_epi8(iota, k);
                    let mask = _mm256_blendv_epi8(_mm256_sub_epi8(k, iota), iota, past);
                    p[i] = _mm256_shuffle_epi8(p[i], mask);
                    f[i] = _mm256_add_epi8(f[i], past);
                }
            }
            steps += 2;
            let any = _mm256_or_si256(
                _mm256_or_si256(_mm256_or_si256(p[0], p[1]), _mm256_or_si256(p[2], p[3])),
                _mm256_or_si256(_mm256_or_si256(p[4], p[5]), _mm256_or_si256(p[6], p[7])),
            );
            if _mm256_testz_si256(any, first) != 0 {
                break;
            }
        }
        let s = _mm256_set1_epi8(steps as i8);
        let mut acc = zero;
        let mut m = zero;
        for v in f.iter() {
            let c = _mm256_and_si256(_mm256_add_epi8(*v, s), second);
            acc = _mm256_add_epi64(acc, _mm256_sad_epu8(c, zero));
            m = _mm256_max_epu8(m, c);
        }
        *sum = _mm256_add_epi64(*sum, acc);
        *maxv = _mm256_max_epu8(*maxv, m);
    }

    impl Sink for Avx2Sink {
        fn new() -> Self {
            let z = unsafe { _mm256_setzero_si256() };
            Avx2Sink { batch: [Batch([IDENT; 16]); 2], nb: [0; 2], sum: [z; 2], maxv: z }
        }
        #[inline(always)]
        unsafe fn push(&mut self, p: &[u8; 16], odd: bool) {
            let par = odd as usize;
            let nb = self.nb[par];
            *self.batch[par].0.get_unchecked_mut(nb) = *p;
            if nb + 1 == 16 {
                flips16(&self.batch[par], &mut self.sum[par], &mut self.maxv);
                self.nb[par] = 0;
            } else {
                self.nb[par] = nb + 1;
            }
        }
        #[inline(always)]
        unsafe fn finish(&mut self) -> (i64, u32) {
            for par in 0..2 {
                if self.nb[par] > 0 {
                    for b in self.nb[par]..16 {
                        self.batch[par].0[b] = IDENT; // 0 flips
                    }
                    flips16(&self.batch[par], &mut self.sum[par], &mut self.maxv);
                    self.nb[par] = 0;
                }
            }
            let mut s = [[0i64; 4]; 2];
            for par in 0..2 {
                _mm256_storeu_si256(s[par].as_mut_ptr() as *mut __m256i, self.sum[par]);
            }
            let mut m = [0u8; 32];
            _mm256_storeu_si256(m.as_mut_ptr() as *mut __m256i, self.maxv);
            let sum = (s[0][0] + s[0][2]) - (s[1][0] + s[1][2]);
            (sum, *m.iter().max().unwrap() as u32)
        }
    }

    #[target_feature(enable = "avx2")]
    pub unsafe fn range_avx2(n: usize, begin: i64, end: i64, fact: &[i64]) -> (i64, u32) {
        super::range::<Avx2Sink>(n, begin, end, fact)
    }

    #[target_feature(enable = "ssse3")]
    pub unsafe fn range_ssse3(n: usize, begin: i64, end: i64, fact: &[i64]) -> (i64, u32) {
        super::range::<Ssse3Sink>(n, begin, end, fact)
    }
}

/// Walks permutations [begin, end) (begin < end <= n!) and returns (checksum, max flips).
#[inline(always)]
unsafe fn range<S: Sink>(n: usize, begin: i64, end: i64, fact: &[i64]) -> (i64, u32) {
    let mut sink = S::new();
    let mut perm = [0u8; 16];
    for (i, v) in perm.iter_mut().enumerate() {
        *v = i as u8;
    }
    let mut count = [0u8; 16];
    // digits of begin: count[i] in 0..=i is how far entries 0..=i were rotated left
    let mut idx = begin;
    for i in (1..n).rev() {
        let d = (idx / fact[i]) as usize;
        idx %= fact[i];
        count[i] = d as u8;
        perm[..=i].rotate_left(d);
    }
    let mut at = begin;
    loop {
        if perm[0] != 0 {
            sink.push(&perm, at & 1 == 1);
        }
        at += 1;
        if at >= end {
            break;
        }
        // next permutation: rotate entries 0..=i left while the digit wraps
        let mut i = 1;
        loop {
            let first = perm[0];
            for j in 0..i {
                perm[j] = perm[j + 1];
            }
            perm[i] = first;
            count[i] += 1;
            if count[i] as usize <= i {
                break;
            }
            count[i] = 0;
            i += 1;
        }
    }
    sink.finish()
}

type RangeFn = unsafe fn(usize, i64, i64, &[i64]) -> (i64, u32);

unsafe fn range_scalar(n: usize, begin: i64, end: i64, fact: &[i64]) -> (i64, u32) {
    range::<ScalarSink>(n, begin, end, fact)
}

/// The widest path the CPU has; HOTPATH_PEER_ISA=ssse3 or scalar forces a narrower one (to
/// test the fallbacks).
fn pick() -> RangeFn {
    let want = std::env::var("HOTPATH_PEER_ISA").unwrap_or_default();
    #[cfg(target_arch = "x86_64")]
    {
        if want.is_empty() && is_x86_feature_detected!("avx2") {
            return x86::range_avx2;
        }
        if want != "scalar" && is_x86_feature_detected!("ssse3") {
            return x86::range_ssse3;
        }
    }
    let _ = want;
    range_scalar
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(7);
    let n = n.min(MAX_N);
    let mut fact = [1i64; MAX_N + 1];
    for i in 1..=MAX_N {
        fact[i] = fact[i - 1] * i as i64;
    }
    let total = fact[n];
    // blocks: small enough to balance the workers, big enough that a block's start is noise
    let chunk = (total / 256).max(720);
    let f = pick();
    let next = AtomicI64::new(0);
    let threads = std::thread::available_parallelism().map(|v| v.get()).unwrap_or(1);
    let work = || {
        let (mut sum, mut max) = (0i64, 0u32);
        loop {
            let b = next.fetch_add(chunk, Ordering::Relaxed);
            if b >= total {
                break;
            }
            let (s, m) = unsafe { f(n, b, (b + chunk).min(total), &fact) };
            sum += s;
            max = max.max(m);
        }
        (sum, max)
    };
    let (mut sum, mut max) = (0i64, 0u32);
    std::thread::scope(|s| {
        let handles: Vec<_> = (1..threads).map(|_| s.spawn(work)).collect();
        let mut add = |(a, b): (i64, u32)| {
            sum += a;
            max = max.max(b);
        };
        add(work());
        for h in handles {
            add(h.join().unwrap());
        }
    });
    let out = format!("{}\nPfannkuchen({}) = {}\n", sum, n, max);
    std::io::stdout().write_all(out.as_bytes()).unwrap();
}
