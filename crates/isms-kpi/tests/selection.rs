//! `isms kpi --audit ID` (issue 19, part 4): a view restricted to a
//! selection of items is the view of a register holding only those items,
//! and the open count of one audit's findings is what a person counts.

use chrono::{NaiveDate, TimeZone, Utc};
use isms_core::*;
use isms_gen::{GeneratorConfig, generate};
use isms_kpi::{KpiId, KpiView, KpiViewBuilder, ReportOptions, Selection};
use proptest::prelude::*;

fn encode_nc(nc: &Nonconformity) -> Vec<u8> {
    let mut bytes = Vec::new();
    NcFacts::from(nc).encode(&mut bytes);
    bytes
}

fn encode_imp(imp: &Improvement) -> Vec<u8> {
    let mut bytes = Vec::new();
    ImprovementFacts::from(imp).encode(&mut bytes);
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn a_selected_view_is_the_view_of_the_selected_items(
        seed in any::<u64>(),
        n in 1usize..80,
        keep in proptest::collection::vec(any::<bool>(), 200),
    ) {
        let g = generate(&GeneratorConfig::new(n, seed)).unwrap();
        let ncs = g.register.nonconformities();
        let imps = g.register.improvements();
        let kept = |i: usize| keep[i % keep.len()];
        let selection = Selection::of_numbers(
            ncs.iter().enumerate().filter(|(i, _)| kept(*i)).map(|(_, n)| n.reference.number()),
            imps.iter().enumerate().filter(|(i, _)| kept(i + 7)).map(|(_, m)| m.reference.number()),
        );
        let mut b = KpiViewBuilder::default();
        for nc in ncs {
            b.push_encoded_nonconformity_in(&encode_nc(nc), &selection).unwrap();
        }
        for imp in imps {
            b.push_encoded_improvement_in(&encode_imp(imp), &selection).unwrap();
        }
        let facts: Vec<NcFacts> = ncs
            .iter()
            .filter(|n| selection.has_nonconformity(n.reference.number()))
            .map(NcFacts::from)
            .collect();
        let imp_facts: Vec<ImprovementFacts> = imps
            .iter()
            .filter(|m| selection.has_improvement(m.reference.number()))
            .map(ImprovementFacts::from)
            .collect();
        prop_assert_eq!(b.finish(), KpiView::from_facts(&facts, &imp_facts));
    }
}

#[test]
fn one_audits_open_findings_counted_by_hand() {
    let policy = Policy::default();
    let at = |d| Utc.with_ymd_and_hms(2026, 5, d, 9, 0, 0).unwrap();
    let alice = Actor::named("alice").unwrap();
    let ctx = |d| Context::new(at(d), alice.clone(), &policy);
    let mut register = Register::new();
    for (name, day) in [("IA-2026-1", 4), ("MR-2026-1", 5)] {
        register
            .record_audit(
                &RecordAudit::new(
                    name.parse().unwrap(),
                    AuditKind::InternalAudit,
                    "ISMS scope",
                    NaiveDate::from_ymd_opt(2026, 5, day).unwrap(),
                    ActorId::new("lead").unwrap(),
                ),
                &ctx(6),
            )
            .unwrap();
    }
    // NC-1 and NC-2 from IA-2026-1 (NC-2 rejected), NC-3 from the review,
    // NC-4 from no audit.
    let audits = ["IA-2026-1", "IA-2026-1", "MR-2026-1", ""];
    for (i, a) in audits.iter().enumerate() {
        let id = NonconformityId::v7(at(7), i as u128 + 1);
        let mut r = ReportNonconformity::new(
            id,
            "Finding",
            "Found",
            Source::InternalAudit,
            Severity::Minor,
            ActorId::new("ops").unwrap(),
            at(7),
        );
        if !a.is_empty() {
            r = r.audit(a.parse().unwrap());
        }
        register.execute(&r.into(), &ctx(7)).unwrap();
        if i == 1 {
            register
                .execute(
                    &Command::reject(id, RejectionReason::NotANonconformity, "out of scope"),
                    &ctx(8),
                )
                .unwrap();
        }
    }
    let audit: AuditId = "IA-2026-1".parse().unwrap();
    let selection =
        Selection::of_audit(&audit, register.nonconformities(), register.improvements());
    assert_eq!(selection.len(), (2, 0));
    let mut b = KpiViewBuilder::default();
    for nc in register.nonconformities() {
        b.push_encoded_nonconformity_in(&encode_nc(nc), &selection)
            .unwrap();
    }
    let report = b
        .finish()
        .report(at(20), &ReportOptions::default())
        .unwrap();
    let open = report
        .kpis
        .iter()
        .find(|k| k.id == KpiId::OpenNonconformities)
        .unwrap();
    // Of IA-2026-1's two findings one is rejected: one open.
    assert_eq!(open.value, isms_kpi::Measure::Count { count: 1 });
}
