//! mandelbrot, single-threaded, in the plain style: every pixel iterates z = z^2 + c up to 50
//! times and stops once |z|^2 > 4; eight pixels make one byte of the P4 bitmap.
use std::io::Write;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(200);
    let bytes = (n + 7) / 8;
    let mut out = Vec::with_capacity(32 + bytes * n);
    write!(out, "P4\n{} {}\n", n, n).unwrap();
    let nf = n as f64;
    for y in 0..n {
        let ci = 2.0 * y as f64 / nf - 1.0; // the reference's rounding: (2y)/N, not y*(2/N)
        let mut byte = 0u8;
        let mut bit = 0;
        for x in 0..n {
            let cr = 2.0 * x as f64 / nf - 1.5;
            let (mut zr, mut zi, mut tr, mut ti) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            let mut inside = true;
            for _ in 0..50 {
                zi = 2.0 * zr * zi + ci;
                zr = tr - ti + cr;
                tr = zr * zr;
                ti = zi * zi;
                if tr + ti > 4.0 {
                    inside = false;
                    break;
                }
            }
            byte = byte << 1 | inside as u8;
            bit += 1;
            if bit == 8 {
                out.push(byte);
                byte = 0;
                bit = 0;
            }
        }
        if bit > 0 {
            out.push(byte << (8 - bit));
        }
    }
    std::io::stdout().write_all(&out).unwrap();
}
