//! Writes the schema bundle into a directory (default `docs/schemas`):
//! `cargo run -p isms-schema --example write_schemas -- DIR`.
#![allow(clippy::print_stderr)]

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "docs/schemas".into());
    for path in isms_schema::write_bundle(std::path::Path::new(&dir))? {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}
