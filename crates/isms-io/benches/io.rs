//! Benchmarks of isms-io (divan): export and import of a register of about
//! 100,000 corrective actions (47,500 nonconformities), as CSV and as XLSX.

use std::sync::LazyLock;

use isms_core::{Actor, ActorId, Register};
use isms_gen::{GeneratorConfig, generate};
use isms_io::{CsvExport, ImportOptions, Input, export_csv, export_xlsx, plan_import};

fn main() {
    divan::main();
}

/// 47,500 nonconformities with one analysis attempt each (what a
/// spreadsheet can rebuild): about 100,000 action rows.
static REGISTER: LazyLock<Register> = LazyLock::new(|| {
    let mut config = GeneratorConfig::new(47_500, 2026);
    config.shape.ineffective = 0.0;
    let g = generate(&config).expect("generator");
    let actions: usize = g
        .register
        .nonconformities()
        .iter()
        .map(|n| n.actions.len())
        .sum();
    #[allow(clippy::print_stderr)] // the row count belongs next to the figures
    {
        eprintln!("register: 47500 nonconformities, {actions} actions");
    }
    g.register
});

static CSV: LazyLock<CsvExport> = LazyLock::new(|| export_csv(&REGISTER).expect("csv"));
static XLSX: LazyLock<Vec<u8>> = LazyLock::new(|| export_xlsx(&REGISTER).expect("xlsx"));

fn options() -> ImportOptions {
    ImportOptions::new(Actor::new(ActorId::new("import").expect("actor")))
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn export_to_csv(bencher: divan::Bencher) {
    LazyLock::force(&REGISTER);
    bencher.bench(|| export_csv(divan::black_box(&REGISTER)).expect("csv"));
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn export_to_xlsx(bencher: divan::Bencher) {
    LazyLock::force(&REGISTER);
    bencher.bench(|| export_xlsx(divan::black_box(&REGISTER)).expect("xlsx"));
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn import_from_csv(bencher: divan::Bencher) {
    LazyLock::force(&CSV);
    let inputs = [
        Input {
            name: "nonconformities.csv",
            bytes: &CSV.nonconformities,
        },
        Input {
            name: "actions.csv",
            bytes: &CSV.actions,
        },
    ];
    let options = options();
    bencher.bench(|| {
        let plan = plan_import(&Register::new(), &inputs, &options, &mut |_| {}).expect("import");
        assert_eq!(plan.created(), 47_500);
        plan
    });
}

#[divan::bench(sample_count = 3, sample_size = 1)]
fn import_from_xlsx(bencher: divan::Bencher) {
    LazyLock::force(&XLSX);
    let inputs = [Input {
        name: "register.xlsx",
        bytes: &XLSX,
    }];
    let options = options();
    bencher.bench(|| {
        let plan = plan_import(&Register::new(), &inputs, &options, &mut |_| {}).expect("import");
        assert_eq!(plan.created(), 47_500);
        plan
    });
}

/// 20,000 rows in the source document's register layout (semicolons, two
/// actions in one cell, "Category: statement" causes, follow-ups in
/// words), as `isms import --from seed-register` reads them.
static SEED_CSV: LazyLock<Vec<u8>> = LazyLock::new(|| {
    let mut out = String::from(
        "\u{feff}Issue;Root cause;Corrective Action;Owner;Due date;Follow-up;Severity;Detected;Status\r\n",
    );
    let follow = [
        "Verify no recurrence over 6 months",
        "Audit compliance quarterly",
        "Test restoration monthly",
    ];
    for i in 0..20_000u32 {
        let day = 1 + i % 28;
        out.push_str(&format!(
            "Finding {i};Process: step {i} was skipped;\"Fix step {i} [done]\nTrain team {i} [in progress]\";owner-{};2026-04-{day:02};{};{};2026-01-{day:02};\r\n",
            i % 40,
            follow[(i % 3) as usize],
            if i % 4 == 0 { "High" } else { "Low" },
        ));
    }
    out.into_bytes()
});

#[divan::bench(sample_count = 3, sample_size = 1)]
fn import_seed_register_with_preset(bencher: divan::Bencher) {
    LazyLock::force(&SEED_CSV);
    let inputs = [Input {
        name: "register.csv",
        bytes: &SEED_CSV,
    }];
    let mut options = options();
    isms_io::Preset::shipped("seed-register")
        .expect("shipped")
        .apply(&mut options, 1, &[]);
    for (column, value) in [
        (isms_io::Column::Verifier, "internal-audit"),
        (isms_io::Column::SimilarCheck, "none found"),
    ] {
        options.fixed.push(isms_io::FixedValue {
            column,
            value: value.into(),
            origin: isms_io::FixedOrigin::Argument,
        });
    }
    bencher.bench(|| {
        let plan = plan_import(&Register::new(), &inputs, &options, &mut |_| {}).expect("import");
        assert_eq!(plan.created(), 20_000);
        plan
    });
}
