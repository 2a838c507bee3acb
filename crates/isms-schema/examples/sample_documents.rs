//! Writes example documents of every kind, produced by the library itself, into a
//! directory, one file each named `<kind>.<n>.json`: the input of the second, independent
//! validator (`scripts/validate-schemas.py`).
//!
//! `cargo run -p isms-schema --example sample_documents -- DIR`
#![allow(missing_docs, clippy::print_stderr)]

#[path = "../tests/samples.rs"]
#[allow(dead_code)]
mod samples;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .ok_or("usage: sample_documents DIR")?;
    let dir = std::path::Path::new(&dir);
    std::fs::create_dir_all(dir)?;
    let set = samples::sample_set();
    for (n, (kind, json)) in set.iter().enumerate() {
        let path = dir.join(format!("{}.{n}.json", kind.name()));
        std::fs::write(&path, serde_json::to_string_pretty(json)?)?;
    }
    eprintln!("wrote {} documents to {}", set.len(), dir.display());
    Ok(())
}
