//! pidigits: Gibbons' unbounded spigot (the reference programs' algorithm) on num-bigint
//! integers: next_term(k) extends the linear fractional transformation; a digit is safe when
//! floor((3 num + acc) / den) == floor((4 num + acc) / den). Both floors come from one division:
//! with q, r = divrem(3 num + acc, den), the second floor is q too exactly when r + num < den.
use num_bigint::BigInt;
use num_integer::Integer;
use std::io::Write;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(27);
    let mut acc = BigInt::from(0u32);
    let mut den = BigInt::from(1u32);
    let mut num = BigInt::from(1u32);
    let mut out = Vec::with_capacity((n / 10 + 1) * 20);
    let mut i = 0usize;
    let mut k = 0u32;
    while i < n {
        // next term
        k += 1;
        let k2 = 2 * k + 1;
        acc += &num * 2u32;
        acc *= k2;
        den *= k2;
        num *= k;
        if num > acc {
            continue;
        }
        // extract: 3 num + acc over den, and whether 4 num + acc gives the same floor
        let t = &num * 3u32 + &acc;
        let (q, r) = t.div_rem(&den);
        if r + &num >= den {
            continue;
        }
        let d: u32 = q.try_into().unwrap();
        out.push(b'0' + d as u8);
        i += 1;
        if i % 10 == 0 {
            write!(out, "\t:{}\n", i).unwrap();
        }
        // eliminate
        acc -= &den * d;
        acc *= 10u32;
        num *= 10u32;
    }
    if i % 10 != 0 {
        out.extend(std::iter::repeat(b' ').take(10 - i % 10));
        write!(out, "\t:{}\n", i).unwrap();
    }
    std::io::stdout().write_all(&out).unwrap();
}

