//! Extension fields change after creation, as events, while the item is
//! open; an empty or malformed change is refused and changes nothing.

use isms_core::*;

use crate::support::{Desk, actor, at};

#[test]
fn extension_fields_change_after_creation_as_events() {
    let mut desk = Desk::new(at(2026, 3, 2));
    let ops = actor("ops");
    let nc = desk.report(
        &ops,
        "Restore never tested",
        Source::InternalAudit,
        Severity::Minor,
        &[],
    );
    let d = desk.run(
        &ops,
        Command::change_extensions(nc)
            .set("ticket", "SEC-41")
            .set("unit", "IT"),
    );
    assert_eq!(d.events[0].payload.type_name(), "extensions_changed.v1");
    desk.run(
        &ops,
        Command::change_extensions(nc)
            .remove("unit")
            .set("ticket", "SEC-42"),
    );
    let fields = &desk.nc(nc).extensions;
    assert_eq!(fields.len(), 1);
    assert_eq!(fields["ticket"], "SEC-42");
    // The fold of the events gives the same fields.
    assert_eq!(Register::from_events(&desk.events), desk.register);
    desk.check();
}

#[test]
fn empty_malformed_or_late_changes_are_refused() {
    let mut desk = Desk::new(at(2026, 3, 2));
    let ops = actor("ops");
    let nc = desk.report(&ops, "t", Source::InternalAudit, Severity::Minor, &[]);
    let e = desk
        .try_run(&ops, Command::change_extensions(nc))
        .unwrap_err();
    assert_eq!(e.code(), "nothing_to_change");
    assert!(e.to_string().contains("NC-0001"), "{e}");
    let e = desk
        .try_run(&ops, Command::change_extensions(nc).remove(""))
        .unwrap_err();
    assert_eq!(e.code(), "bad_extension_name");
    let e = desk
        .try_run(&ops, Command::change_extensions(nc).set("x".repeat(65), 1))
        .unwrap_err();
    assert_eq!(e.code(), "bad_extension_name");
    desk.run(
        &ops,
        Command::reject(nc, RejectionReason::NotANonconformity, "a test entry"),
    );
    let e = desk
        .try_run(&ops, Command::change_extensions(nc).set("ticket", "SEC-1"))
        .unwrap_err();
    assert_eq!(e.code(), "transition_not_allowed");
}

#[test]
fn improvements_take_extension_changes_too() {
    let mut desk = Desk::new(at(2026, 3, 2));
    let ops = actor("ops");
    let imp = ImprovementId::v7(desk.now, 9);
    let proposal = ProposeImprovement::new(
        imp,
        ImprovementSource::Feedback,
        "t",
        "d",
        "b",
        Priority::Low,
        ActorId::new("ops").unwrap(),
    );
    desk.run(&ops, proposal.into());
    desk.run(
        &ops,
        Command::change_improvement_extensions(imp).set("budget", 1200),
    );
    assert_eq!(
        desk.register.improvement(imp).unwrap().extensions["budget"],
        1200
    );
    assert_eq!(Register::from_events(&desk.events), desk.register);
}
