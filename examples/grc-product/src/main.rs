//! The product's story end to end: its store passes the conformance suite,
//! a nonconformity goes from report to closure through its API under its
//! policy and roles, a refusal comes back as problem details, and its
//! schemas are generated. Asserts what it prints; CI runs it.

#![allow(clippy::print_stdout)] // a demonstration program: printing is its job

use std::error::Error;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use grc_product::api::Api;
use grc_product::policy::ADMIN_ROLE;
use grc_product::store::VecStore;
use isms_core::*;
use isms_store::EventStore;

fn main() -> Result<(), Box<dyn Error>> {
    let passed = isms_store::conformance::run(VecStore::new)?;
    println!("conformance: {} checks passed on VecStore", passed.checks);

    let mut api = Api::new();
    let start = Utc
        .with_ymd_and_hms(2026, 3, 1, 22, 0, 0)
        .single()
        .ok_or("time")?;
    let mut clock = start;
    let mut n = 0u128;
    let mut run = |api: &mut Api, who: Actor, at: DateTime<Utc>, c: Command| {
        n += 1;
        api.submit(&c, who, at, n, Some(&format!("req-{n}")))
    };
    let alice = Actor::named("alice")?;
    let dana = Actor::named("dana")?;
    let admin = Actor::named("grace")?.with_role(Role::new(ADMIN_ROLE)?);

    let nc = NonconformityId::v7(clock, 1);
    let action = ActionId::v7(clock, 2);
    let report = ReportNonconformity::new(
        nc,
        "Restore never tested",
        "No restore test on record for the file server.",
        Source::InternalAudit,
        Severity::Minor,
        ActorId::new("ops")?,
        clock,
    )
    .requirement("iso27001:2022/A.8.13".parse()?)
    .extension("ticket", "SEC-41");
    run(&mut api, alice.clone(), clock, report.into()).map_err(|p| p.detail)?;

    // Analysis before containment: refused, rendered as problem details.
    let cause = RootCause::new(
        RootCauseCategory::Process,
        "no restore test in the procedure",
    );
    // 10.2 b): whether similar nonconformities exist is part of the record.
    let analyse = Command::analyse_root_cause(nc, AnalysisMethod::FiveWhys, vec![cause])
        .with_similar_notes("The other two file servers have a restore test on record.");
    let problem = run(&mut api, alice.clone(), clock, analyse.clone())
        .err()
        .ok_or("accepted")?;
    println!(
        "refused as problem details:\n{}",
        serde_json::to_string_pretty(&problem)?
    );
    assert_eq!(
        (problem.status, problem.code.as_str()),
        (422, "containment_required")
    );

    let steps = [
        (
            alice.clone(),
            Command::record_containment(nc, "Restored one share: it worked"),
        ),
        (alice.clone(), analyse),
        (
            alice.clone(),
            Command::change_extensions(nc).set("business_unit", "IT"),
        ),
        (
            alice.clone(),
            Command::plan_action(
                nc,
                action,
                "Quarterly restore test",
                ActorId::new("ops")?,
                NaiveDate::from_ymd_opt(2026, 3, 31).ok_or("date")?,
            ),
        ),
        (
            alice.clone(),
            Command::complete_action(nc, action).with_evidence("procedure BK-02 v4"),
        ),
        // Due on 3 March in Sydney, which starts at 13:00 UTC on 2 March.
        (
            alice.clone(),
            Command::plan_verification(
                nc,
                "restore test",
                "full restore in 4 h",
                VerificationSchedule::once(NaiveDate::from_ymd_opt(2026, 3, 3).ok_or("date")?),
                ActorId::new("dana")?,
            ),
        ),
    ];
    for (who, command) in steps {
        clock += Duration::hours(1);
        run(&mut api, who, clock, command).map_err(|p| p.detail)?;
    }
    // 14:00 UTC on 2 March is 01:00 on 3 March in Sydney: the check is due.
    clock = Utc
        .with_ymd_and_hms(2026, 3, 2, 14, 0, 0)
        .single()
        .ok_or("time")?;
    run(
        &mut api,
        dana,
        clock,
        Command::record_verification(nc, 0, true),
    )
    .map_err(|p| p.detail)?;
    let closing = Command::close(nc).with_isms_change(IsmsChange::new(
        IsmsChangeKind::Procedure,
        "BK-02 v4 with a quarterly restore test",
    ));
    let problem = run(&mut api, alice, clock, closing.clone())
        .err()
        .ok_or("closed by alice")?;
    assert_eq!(
        (problem.status, problem.code.as_str()),
        (403, "approver_role_missing")
    );
    run(&mut api, admin, clock, closing).map_err(|p| p.detail)?;

    let events = {
        let mut events = Vec::new();
        api.store()
            .read(isms_store::Selection::All, &mut |e| events.push(e.event))?;
        events
    };
    let Some(Item::Nonconformity(closed)) = Item::from_events(&events) else {
        return Err("no nonconformity".into());
    };
    assert_eq!(closed.state, NcState::Closed);
    assert_eq!(closed.extensions["business_unit"], "IT");
    println!(
        "{} closed after {} events; chain verified: {:?}",
        closed.reference,
        events.len(),
        api.store().verify()?.head
    );

    let bundle = grc_product::schema::bundle();
    let register = bundle
        .iter()
        .find(|f| f.file_name == "register.json")
        .ok_or("register")?;
    assert_eq!(
        register.json["$defs"]["Extensions"],
        grc_product::schema::extension_schema()
    );
    println!(
        "schemas: {} bundle files with the product's fields, {} API schemas",
        bundle.len(),
        grc_product::schema::api_schemas().len()
    );
    let _ = start;
    Ok(())
}
