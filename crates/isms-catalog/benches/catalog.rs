//! Benchmarks for isms-catalog. Run: `cargo bench -p isms-catalog`.

use divan::black_box;
use isms_catalog::{Catalog, ItemKind, TransitiveOptions};

fn main() {
    // Build the cached catalogue before timing look-ups.
    let _ = Catalog::shipped();
    divan::main();
}

#[divan::bench]
fn resolve_canonical() -> usize {
    black_box(Catalog::shipped())
        .resolve(black_box("iso27001:2022/A.8.13"))
        .map_or(0, |r| r.item().id.as_str().len())
}

#[divan::bench]
fn resolve_loose() -> usize {
    black_box(Catalog::shipped())
        .resolve_parts(black_box("ISO 27001"), black_box("A 8.13"))
        .map_or(0, |r| r.item().id.as_str().len())
}

#[divan::bench]
fn resolve_nis2_article_spelling() -> usize {
    black_box(Catalog::shipped())
        .resolve_parts(black_box("nis2"), black_box("Article 21(2)(c)"))
        .map_or(0, |r| r.item().id.as_str().len())
}

#[divan::bench(sample_count = 30)]
fn shipped_initialisation() -> Catalog {
    Catalog::build_shipped().unwrap_or_else(|e| panic!("{e}"))
}

fn all_annex_a_to(target: &str) -> usize {
    let cat = Catalog::shipped();
    let fw = cat
        .framework("iso27001:2022")
        .unwrap_or_else(|e| panic!("{e}"));
    let options = TransitiveOptions::default();
    let mut n = 0;
    for item in fw.items.iter().filter(|i| i.kind == ItemKind::Control) {
        let from = cat
            .resolve_parts("iso27001:2022", item.id.as_str())
            .unwrap_or_else(|e| panic!("{e}"));
        n += from
            .transitive_to(target, &options)
            .unwrap_or_else(|e| panic!("{e}"))
            .len();
    }
    n
}

#[divan::bench(sample_count = 50)]
fn transitive_all_annex_a_to_nis2() -> usize {
    all_annex_a_to(black_box("nis2"))
}

#[divan::bench(sample_count = 50)]
fn transitive_all_annex_a_to_nis2_ir() -> usize {
    all_annex_a_to(black_box("nis2-ir:2024-2690"))
}
