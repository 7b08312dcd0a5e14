//! pdf-readers extract IN_DIR OUT_DIR: every *.pdf in IN_DIR through each reader, text to
//! OUT_DIR/{reader}/{stem}.txt, and time per reader (ms, pages) on stdout as TSV.
//! pdf-readers hostile IN_DIR: mutated copies of every PDF (truncations, byte flips) through each
//! reader: panics, errors, slowest run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

type Reader = fn(&[u8], &Path) -> Result<String, String>;

fn fazhi(b: &[u8], _: &Path) -> Result<String, String> {
    fazhi_engine::decode::decode(
        b,
        "application/pdf",
        "",
        "",
        &fazhi_engine::Limits::default(),
    )
    .map(|d| d.text)
    .map_err(|e| e.to_string())
}

fn pdf_extract(b: &[u8], _: &Path) -> Result<String, String> {
    pdf_extract::extract_text_from_mem(b).map_err(|e| e.to_string())
}

fn oxide(b: &[u8], _: &Path) -> Result<String, String> {
    let doc =
        pdf_oxide::document::PdfDocument::from_bytes(b.to_vec()).map_err(|e| e.to_string())?;
    let n = doc.page_count().map_err(|e| e.to_string())?;
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&doc.extract_text(i).map_err(|e| e.to_string())?);
        out.push('\n');
    }
    Ok(out)
}

/// poppler's TextOutputDev in reading order (pdftotext's default mode), on a temporary file.
fn poppler(b: &[u8], tmp: &Path) -> Result<String, String> {
    let f = tmp.join("in.pdf");
    std::fs::write(&f, b).map_err(|e| e.to_string())?;
    let out = Command::new("timeout")
        .args(["20", "pdftotext", "-enc", "UTF-8"])
        .arg(&f)
        .arg("-")
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("pdftotext {}", out.status))
    }
}

const READERS: [(&str, Reader); 4] = [
    ("fazhi", fazhi),
    ("pdf-extract", pdf_extract),
    ("pdf_oxide", oxide),
    ("poppler", poppler),
];

fn run(r: Reader, b: &[u8], tmp: &Path) -> (Result<String, String>, Duration) {
    let t = Instant::now();
    let res = match catch_unwind(AssertUnwindSafe(|| r(b, tmp))) {
        Ok(r) => r,
        Err(_) => Err("PANIC".into()),
    };
    (res, t.elapsed())
}

fn pdfs(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .collect();
    v.sort();
    v
}

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    let args: Vec<String> = std::env::args().collect();
    let tmp = std::env::temp_dir().join(format!("pdf-readers-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp");
    match args.get(1).map(String::as_str) {
        Some("extract") => {
            let (inp, out) = (Path::new(&args[2]), Path::new(&args[3]));
            for (name, _) in READERS {
                std::fs::create_dir_all(out.join(name)).expect("out");
            }
            for p in pdfs(inp) {
                let b = std::fs::read(&p).expect("read");
                let stem = p
                    .file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("x")
                    .to_string();
                for (name, r) in READERS {
                    let (res, t) = run(r, &b, &tmp);
                    let (text, status) = match res {
                        Ok(t) => (t, "ok".to_string()),
                        Err(e) => (String::new(), e.replace('\t', " ").replace('\n', " ")),
                    };
                    std::fs::write(out.join(name).join(format!("{stem}.txt")), &text).expect("w");
                    // Judged as the pipeline judges a PDF text layer (wrapped lines joined).
                    let folded = fazhi_engine::normalize::fold(&text, true).text;
                    let doc = fazhi_engine::parse::parse_text(&folded, Default::default());
                    let json = fazhi_engine::score::score(
                        &doc,
                        &fazhi_engine::Hints::default(),
                        None,
                        "x",
                        None,
                    )
                    .map(|a| serde_json::to_string(&a).unwrap_or_default())
                    .unwrap_or_default();
                    std::fs::write(out.join(name).join(format!("{stem}.json")), json).expect("w");
                    println!("{stem}\t{name}\t{:.3}\t{status}", t.as_secs_f64() * 1000.0);
                }
            }
        }
        Some("hostile") => {
            let inp = Path::new(&args[2]);
            let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
            let mut next = move || {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                rng
            };
            let mut cases: Vec<Vec<u8>> = Vec::new();
            for p in pdfs(inp) {
                let b = std::fs::read(&p).expect("read");
                for cut in [0.1, 0.5, 0.9, 0.99] {
                    cases.push(b[..(b.len() as f64 * cut) as usize].to_vec());
                }
                for _ in 0..40 {
                    let mut m = b.clone();
                    for _ in 0..8 {
                        let i = (next() as usize) % m.len();
                        m[i] = next() as u8;
                    }
                    cases.push(m);
                }
            }
            for (name, r) in READERS {
                let (mut panics, mut errors, mut slowest) = (0, 0, Duration::ZERO);
                let t0 = Instant::now();
                for c in &cases {
                    let (res, t) = run(r, c, &tmp);
                    slowest = slowest.max(t);
                    match res {
                        Err(e) if e == "PANIC" => panics += 1,
                        Err(e) if e.starts_with("pdftotext") && !e.contains("exit status") => {
                            panics += 1
                        }
                        Err(_) => errors += 1,
                        Ok(_) => {}
                    }
                }
                println!(
                    "{name}\tcases {}\tpanics/crashes {panics}\terrors {errors}\tslowest {:.0} ms\ttotal {:.1} s",
                    cases.len(),
                    slowest.as_secs_f64() * 1000.0,
                    t0.elapsed().as_secs_f64()
                );
            }
        }
        _ => eprintln!("usage: pdf-readers extract IN OUT | hostile IN"),
    }
    let _ = std::fs::remove_dir_all(&tmp);
}
