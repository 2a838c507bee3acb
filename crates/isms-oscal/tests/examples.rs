//! NIST's example POA&Ms (usnistgov/oscal-content, read from
//! `ISMS_OSCAL_DIR/examples`, never copied) import, and what does not map
//! is reported by path.

use chrono::NaiveDate;
use isms_core::{NcState, Severity, Source};
use isms_oscal::{SkipReason, import_poam};

use crate::schema::oscal_dir;

fn example(name: &str) -> Option<String> {
    let dir = oscal_dir()?;
    Some(std::fs::read_to_string(dir.join("examples").join(name)).expect("example readable"))
}

#[test]
fn both_nist_examples_import_with_a_report() {
    for name in [
        "ifa_plan-of-action-and-milestones.json",
        "ifa_plan-of-action-and-milestones-min.json",
    ] {
        let Some(text) = example(name) else { return };
        let imported = import_poam(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let ncs = imported.register.nonconformities();
        assert_eq!(ncs.len(), 2, "{name}");
        assert_eq!(imported.report.items, 2);
        assert_eq!(imported.report.exact_items, 0);

        let first = &ncs[0];
        assert_eq!(
            first.title,
            "Update Django Framework Configuration to Disable Default Admin Panel"
        );
        assert_eq!(first.state, NcState::Reported);
        assert_eq!(first.id.to_string(), "e174dfb9-0ae3-4a8f-8e7c-081527b84337");
        // Detected when the related observation was collected (16:14 UTC).
        assert_eq!(first.detected_at.to_rfc3339(), "2023-05-19T16:14:16+00:00");
        assert_eq!(
            (first.source, first.severity),
            (Source::SelfIdentified, Severity::Minor)
        );

        let second = &ncs[1];
        assert_eq!(second.detected_at.to_rfc3339(), "2023-06-02T12:31:20+00:00");
        // The risk's deadline, as a date in its own offset.
        assert_eq!(
            second.external_deadline,
            Some(NaiveDate::from_ymd_opt(2023, 6, 23).unwrap())
        );

        let skipped = &imported.report.skipped;
        let has = |path: &str, pred: &dyn Fn(&SkipReason) -> bool| {
            skipped.iter().any(|s| s.path == path && pred(&s.reason))
        };
        // NIST's known dangling reference: the first item's related risk is a
        // mitigating factor's uuid.
        let dangling = "$.plan-of-action-and-milestones.poam-items[0].related-risks[0].risk-uuid";
        assert!(has(
            dangling,
            &|r| matches!(r, SkipReason::UnresolvedReference { uuid } if uuid == "401c15c9-ad6b-4d4a-a591-7d53a3abb3b6")
        ));
        assert!(has(dangling, &|r| matches!(r, SkipReason::Constraint(_))));
        // System context, risk status and remediations are reported, not dropped.
        assert!(has(
            "$.plan-of-action-and-milestones.import-ssp",
            &|r| matches!(r, SkipReason::NoEquivalent(_))
        ));
        assert!(has(
            "$.plan-of-action-and-milestones.system-id",
            &|r| matches!(r, SkipReason::NoEquivalent(_))
        ));
        assert!(has(
            "$.plan-of-action-and-milestones.risks[1].status",
            &|r| matches!(r, SkipReason::NoEquivalent(_))
        ));
        assert!(has(
            "$.plan-of-action-and-milestones.risks[1].remediations",
            &|r| matches!(r, SkipReason::NoEquivalent(_))
        ));
        // The first risk is referenced by no poam-item (its reference dangles).
        assert!(has(
            "$.plan-of-action-and-milestones.risks[0]",
            &|r| matches!(r, SkipReason::NoEquivalent(_))
        ));
        // Defaults are declared.
        assert!(has(
            "$.plan-of-action-and-milestones.poam-items[1]",
            &|r| matches!(
                r,
                SkipReason::Defaulted {
                    field: "severity",
                    ..
                }
            )
        ));
    }
}

#[test]
fn both_examples_import_to_the_same_register() {
    let (Some(a), Some(b)) = (
        example("ifa_plan-of-action-and-milestones.json"),
        example("ifa_plan-of-action-and-milestones-min.json"),
    ) else {
        return;
    };
    let a = import_poam(&a).unwrap();
    let b = import_poam(&b).unwrap();
    assert_eq!(a.register.nonconformities(), b.register.nonconformities());
    assert_eq!(a.report, b.report);
}
