//! Export of a generated register of 100,000 nonconformities as an OSCAL
//! POA&M (to a JSON string), and its import back into a register.

use std::hint::black_box;

use isms_gen::{GeneratorConfig, generate};
use isms_oscal::{PoamOptions, export_poam, import_poam};

fn main() {
    divan::main();
}

const SIZES: [usize; 2] = [10_000, 100_000];

#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn export(bencher: divan::Bencher, n: usize) {
    let generated = generate(&GeneratorConfig::new(n, 42)).expect("generator");
    let options = PoamOptions::default();
    bencher.bench_local(|| {
        let doc = export_poam(black_box(&generated.register), &options).expect("export");
        serde_json::to_string(&doc).expect("serialise")
    });
}

#[divan::bench(args = SIZES, sample_count = 3, sample_size = 1)]
fn import(bencher: divan::Bencher, n: usize) {
    let generated = generate(&GeneratorConfig::new(n, 42)).expect("generator");
    let doc = export_poam(&generated.register, &PoamOptions::default()).expect("export");
    let text = serde_json::to_string(&doc).expect("serialise");
    bencher.bench_local(|| import_poam(black_box(&text)).expect("import"));
}
