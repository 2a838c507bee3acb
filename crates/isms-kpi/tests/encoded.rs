//! `KpiViewBuilder::push_encoded_nonconformity`: facts decoded straight
//! into the view's columns give the view of the decoded facts, and facts
//! that do not decode leave the builder as it was.

use isms_core::{ImprovementFacts, NcFacts};
use isms_gen::{GeneratorConfig, generate};
use isms_kpi::{KpiView, KpiViewBuilder};
use proptest::prelude::*;

fn encoded(g: &isms_gen::Generated) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let ncs = g
        .register
        .nonconformities()
        .iter()
        .map(|nc| {
            let mut bytes = Vec::new();
            NcFacts::from(nc).encode(&mut bytes);
            bytes
        })
        .collect();
    let imps = g
        .register
        .improvements()
        .iter()
        .map(|imp| {
            let mut bytes = Vec::new();
            ImprovementFacts::from(imp).encode(&mut bytes);
            bytes
        })
        .collect();
    (ncs, imps)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn encoded_facts_give_the_registers_view(seed in any::<u64>(), n in 0usize..120) {
        let g = generate(&GeneratorConfig::new(n, seed)).unwrap();
        let (ncs, imps) = encoded(&g);
        let mut b = KpiViewBuilder::default();
        for bytes in &ncs {
            b.push_encoded_nonconformity(bytes).unwrap();
        }
        for bytes in &imps {
            b.push_encoded_improvement(bytes).unwrap();
        }
        let from_bytes = b.finish();
        prop_assert_eq!(&from_bytes, &KpiView::new(&g.register));
        let facts: Vec<NcFacts> = ncs.iter().map(|b| NcFacts::decode(b).unwrap()).collect();
        let imp_facts: Vec<ImprovementFacts> =
            imps.iter().map(|b| ImprovementFacts::decode(b).unwrap()).collect();
        prop_assert_eq!(&from_bytes, &KpiView::from_facts(&facts, &imp_facts));
    }

    /// Every cut of one item's facts is refused, and the builder then holds
    /// exactly the other items: the rows pushed before the cut are taken back.
    #[test]
    fn a_cut_item_leaves_the_other_items(seed in any::<u64>(), pick in any::<prop::sample::Index>()) {
        let g = generate(&GeneratorConfig::new(40, seed)).unwrap();
        let (ncs, _) = encoded(&g);
        let k = pick.index(ncs.len());
        let mut without = KpiViewBuilder::default();
        for (i, bytes) in ncs.iter().enumerate() {
            if i != k {
                without.push_encoded_nonconformity(bytes).unwrap();
            }
        }
        let without = without.finish();
        for cut in 0..ncs[k].len() {
            let mut b = KpiViewBuilder::default();
            for (i, bytes) in ncs.iter().enumerate() {
                if i == k {
                    prop_assert!(b.push_encoded_nonconformity(&bytes[..cut]).is_err());
                } else {
                    b.push_encoded_nonconformity(bytes).unwrap();
                }
            }
            prop_assert_eq!(&b.finish(), &without, "cut at {}", cut);
        }
    }
}

/// Bytes that are not facts at all never panic and never leave rows behind.
#[test]
fn garbage_is_refused_without_rows() {
    let mut b = KpiViewBuilder::default();
    for bytes in [
        &[][..],
        &[1][..],
        &[2, 0, 0][..],
        &[1, 5, 0, 0, 0, 0, 200, 200, 200][..],
        &[1, 5, 0, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x7f][..],
    ] {
        assert!(b.push_encoded_nonconformity(bytes).is_err(), "{bytes:?}");
        assert!(b.push_encoded_improvement(bytes).is_err(), "{bytes:?}");
    }
    assert_eq!(b.finish(), KpiView::from_facts([], []));
}
