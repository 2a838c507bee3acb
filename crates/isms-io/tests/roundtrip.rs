//! Export then import gives the same register view.

use isms_core::{Actor, ActorId, Register};
use isms_gen::{GeneratorConfig, generate};
use isms_io::{ImportOptions, Input, RegisterView, export_csv, export_xlsx, plan_import};

fn options() -> ImportOptions {
    ImportOptions::new(Actor::new(ActorId::new("import").unwrap()))
}

fn roundtrip_csv(register: &Register) -> Register {
    let csv = export_csv(register).unwrap();
    let inputs = [
        Input {
            name: "nonconformities.csv",
            bytes: &csv.nonconformities,
        },
        Input {
            name: "actions.csv",
            bytes: &csv.actions,
        },
    ];
    match plan_import(&Register::new(), &inputs, &options(), &mut |_| {}) {
        Ok(plan) => plan.register,
        Err(e) => panic!("{e}"),
    }
}

fn roundtrip_xlsx(register: &Register) -> Register {
    let bytes = export_xlsx(register).unwrap();
    let inputs = [Input {
        name: "register.xlsx",
        bytes: &bytes,
    }];
    match plan_import(&Register::new(), &inputs, &options(), &mut |_| {}) {
        Ok(plan) => plan.register,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn generated_register_round_trips_through_csv_and_xlsx() {
    let mut config = GeneratorConfig::new(300, 11);
    config.shape.ineffective = 0.0;
    let g = generate(&config).unwrap();
    let view = RegisterView::of(&g.register);
    let back = roundtrip_csv(&g.register);
    assert_eq!(RegisterView::of(&back), view);
    let back = roundtrip_xlsx(&g.register);
    assert_eq!(RegisterView::of(&back), view);
}
