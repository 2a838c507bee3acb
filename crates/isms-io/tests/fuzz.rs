//! No input makes the import panic: arbitrary bytes, and arbitrary cells
//! under real headers, end in a plan or in typed errors.

use isms_core::{Actor, ActorId, Register};
use isms_io::{Column, ImportOptions, Input, plan_import};
use proptest::prelude::*;

fn run(bytes: &[u8]) {
    let options = ImportOptions::new(Actor::new(ActorId::new("import").unwrap()));
    let _ = plan_import(
        &Register::new(),
        &[Input { name: "x", bytes }],
        &options,
        &mut |_| {},
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        run(&bytes);
    }

    #[test]
    fn arbitrary_cells_under_real_headers_never_panic(
        columns in proptest::sample::subsequence(Column::ALL.to_vec(), 1..20),
        cells in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    Just(String::new()),
                    "[a-zA-Z0-9 ./:-]{0,24}",
                    Just("2026-03-01".to_owned()),
                    Just("31/02/2026".to_owned()),
                    Just("NC-0001".to_owned()),
                    Just("A-1".to_owned()),
                    Just("major".to_owned()),
                    Just("done".to_owned()),
                    Just("every 1 month from 2026-01-31, 3 times".to_owned()),
                    Just("99999999999".to_owned()),
                ],
                20,
            ),
            0..12,
        ),
    ) {
        let mut csv = columns.iter().map(|c| c.header()).collect::<Vec<_>>().join(",");
        csv.push('\n');
        for row in &cells {
            csv.push_str(&row[..columns.len()].join(","));
            csv.push('\n');
        }
        run(csv.as_bytes());
    }
}
