//! A hand-built register with hand-computed values for every KPI, as of
//! T = 2026-06-30 12:00:00 UTC over the default 365-day window
//! (T - W = 2025-06-30 12:00:00). The comments give the arithmetic.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use isms_core::{
    ActionDecision, ActionId, Actor, ActorId, AnalysisMethod, Command, Context, EvidenceRef,
    ImprovementId, ImprovementSource, NcState, NonconformityId, Period, Policy, Priority,
    ProposeImprovement, Register, RejectionReason, ReportNonconformity, RequirementRef, RootCause,
    RootCauseCategory, Severity, Source, VerificationSchedule,
};
use isms_kpi::{
    AgeBucket, Detail, KpiId, KpiReport, KpiView, Measure, ReportOptions, RequirementCount, Status,
    Window,
};

pub(crate) fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

pub(crate) fn t() -> DateTime<Utc> {
    at(2026, 6, 30, 12)
}

struct Builder {
    register: Register,
    policy: Policy,
    n: u64,
}

impl Builder {
    fn run(&mut self, when: DateTime<Utc>, actor: &str, command: Command) {
        let ctx = Context::new(when, Actor::new(ActorId::new(actor).unwrap()), &self.policy);
        self.register
            .execute(&command, &ctx)
            .unwrap_or_else(|e| panic!("fixture command refused at {when}: {e}"));
    }

    fn nc_id(&mut self) -> NonconformityId {
        self.n += 1;
        NonconformityId::v7_from_parts(self.n, [self.n as u8; 10])
    }

    fn action_id(&mut self) -> ActionId {
        self.n += 1;
        ActionId::v7_from_parts(self.n, [self.n as u8; 10])
    }

    fn report(
        &mut self,
        when: DateTime<Utc>,
        severity: Severity,
        source: Source,
        requirements: &[&str],
    ) -> NonconformityId {
        let id = self.nc_id();
        self.run(
            when,
            "reporter",
            Command::ReportNonconformity(ReportNonconformity {
                audit: None,
                id,
                title: "Finding".into(),
                description: "Finding".into(),
                source,
                severity,
                requirements: requirements.iter().map(|r| r.parse().unwrap()).collect(),
                owner: ActorId::new("owner").unwrap(),
                detected_at: when,
                external_deadline: None,
                links: vec![],
                extensions: Default::default(),
            }),
        );
        id
    }

    fn contain(&mut self, nc: NonconformityId, when: DateTime<Utc>) {
        self.run(
            when,
            "owner",
            Command::RecordContainment {
                nonconformity: nc,
                action_taken: "Contained".into(),
                consequences: None,
                late_justification: None,
            },
        );
    }

    fn analyse(
        &mut self,
        nc: NonconformityId,
        when: DateTime<Utc>,
        causes: &[RootCauseCategory],
        action: bool,
    ) {
        self.run(
            when,
            "owner",
            Command::AnalyseRootCause {
                nonconformity: nc,
                method: AnalysisMethod::FiveWhys,
                causes: causes
                    .iter()
                    .map(|c| RootCause {
                        category: *c,
                        statement: "Cause".into(),
                    })
                    .collect(),
                similar: vec![],
                similar_notes: Some("None found".into()),
                decision: if action {
                    ActionDecision::ActionRequired
                } else {
                    ActionDecision::NoActionRequired {
                        justification: "Correction suffices".into(),
                        approved_by: ActorId::new("manager").unwrap(),
                    }
                },
            },
        );
    }

    fn plan(&mut self, nc: NonconformityId, when: DateTime<Utc>, due: NaiveDate) -> ActionId {
        let action = self.action_id();
        self.run(
            when,
            "manager",
            Command::PlanAction {
                nonconformity: nc,
                action,
                description: "Fix".into(),
                owner: ActorId::new("doer").unwrap(),
                due,
                late_justification: None,
            },
        );
        action
    }

    fn complete(&mut self, nc: NonconformityId, action: ActionId, when: DateTime<Utc>) {
        self.run(
            when,
            "doer",
            Command::CompleteAction {
                nonconformity: nc,
                action,
                evidence: vec![EvidenceRef::document("change record")],
            },
        );
    }

    fn reschedule(
        &mut self,
        nc: NonconformityId,
        action: ActionId,
        when: DateTime<Utc>,
        due: NaiveDate,
    ) {
        self.run(
            when,
            "doer",
            Command::RescheduleAction {
                nonconformity: nc,
                action,
                due,
                reason: "Supplier late".into(),
            },
        );
    }

    fn verify_plan(
        &mut self,
        nc: NonconformityId,
        when: DateTime<Utc>,
        schedule: VerificationSchedule,
    ) {
        self.run(
            when,
            "manager",
            Command::PlanVerification {
                nonconformity: nc,
                method: "Check".into(),
                criteria: "Works".into(),
                schedule,
                verifier: ActorId::new("verifier").unwrap(),
            },
        );
    }

    fn check(&mut self, nc: NonconformityId, when: DateTime<Utc>, check: u32, passed: bool) {
        self.run(
            when,
            "verifier",
            Command::RecordVerification {
                nonconformity: nc,
                check,
                passed,
                notes: None,
                evidence: vec![EvidenceRef::document("check record")],
            },
        );
    }

    fn close(&mut self, nc: NonconformityId, when: DateTime<Utc>) {
        self.run(
            when,
            "manager",
            Command::CloseNonconformity {
                risk_acceptance: None,
                nonconformity: nc,
                isms_changes: vec![],
                notes: None,
            },
        );
    }

    fn improvement(&mut self, proposed: DateTime<Utc>, steps: &[(DateTime<Utc>, &str)]) {
        self.n += 1;
        let id = ImprovementId::v7_from_parts(self.n, [self.n as u8; 10]);
        self.run(
            proposed,
            "manager",
            Command::ProposeImprovement(ProposeImprovement {
                audit: None,
                id,
                source: ImprovementSource::Audit,
                nonconformity: None,
                title: "Improve".into(),
                description: "Improve".into(),
                expected_benefit: "Better".into(),
                priority: Priority::Medium,
                owner: ActorId::new("owner").unwrap(),
                due: None,
                links: vec![],
                extensions: Default::default(),
            }),
        );
        for (when, step) in steps {
            let command = match *step {
                "approve" => Command::ApproveImprovement { improvement: id },
                "start" => Command::StartImprovement { improvement: id },
                _ => Command::RealiseImprovement {
                    improvement: id,
                    isms_changes: vec![],
                    measured_effect: None,
                },
            };
            // Segregated approvals: the proposer does not approve.
            let who = if *step == "approve" {
                "ciso"
            } else {
                "manager"
            };
            self.run(*when, who, command);
        }
    }
}

/// The fixture register (events after T included, to show they change nothing).
pub(crate) fn fixture() -> Register {
    use RootCauseCategory::*;
    let mut b = Builder {
        register: Register::new(),
        policy: Policy::default(),
        n: 0,
    };
    // NC1: major; contained after 12 h; A1 on time; A2 rescheduled before
    // completion (late against its original date, on time against the new
    // one); effective first time; closed 2026-04-05 (85 days).
    let nc1 = b.report(
        at(2026, 1, 10, 9),
        Severity::Major,
        Source::InternalAudit,
        &["iso27001:2022/A.8.13", "nis2/21.2.c"],
    );
    b.contain(nc1, at(2026, 1, 10, 21));
    b.analyse(nc1, at(2026, 1, 15, 9), &[Technology], true);
    let a1 = b.plan(nc1, at(2026, 1, 16, 9), day(2026, 2, 15));
    let a2 = b.plan(nc1, at(2026, 1, 16, 10), day(2026, 2, 20));
    b.reschedule(nc1, a2, at(2026, 2, 10, 9), day(2026, 3, 10));
    b.complete(nc1, a1, at(2026, 2, 14, 10));
    b.complete(nc1, a2, at(2026, 3, 5, 9));
    b.verify_plan(
        nc1,
        at(2026, 3, 6, 9),
        VerificationSchedule::once(day(2026, 4, 1)),
    );
    b.check(nc1, at(2026, 4, 2, 9), 0, true);
    b.close(nc1, at(2026, 4, 5, 9));

    // NC2: minor; contained after 2 days; A3 due yesterday (overdue), A4
    // due today (not overdue), A5 cancelled; verification planned ahead
    // with a check on 2026-05-30 (overdue) and one today (not overdue).
    let nc2 = b.report(
        at(2026, 3, 1, 9),
        Severity::Minor,
        Source::Incident,
        &["iso27001:2022/A.5.15"],
    );
    b.contain(nc2, at(2026, 3, 3, 9));
    b.analyse(nc2, at(2026, 3, 5, 9), &[People, Process], true);
    let a3 = b.plan(nc2, at(2026, 3, 6, 9), day(2026, 6, 29));
    let a4 = b.plan(nc2, at(2026, 3, 6, 10), day(2026, 6, 30));
    let a5 = b.plan(nc2, at(2026, 3, 6, 11), day(2026, 5, 1));
    b.verify_plan(
        nc2,
        at(2026, 3, 7, 9),
        VerificationSchedule::recurring_count(day(2026, 5, 30), Period::months(1), 3),
    );
    b.run(
        at(2026, 4, 1, 9),
        "doer",
        Command::CancelAction {
            nonconformity: nc2,
            action: a5,
            reason: "Not needed".into(),
        },
    );

    // NC3: major, reported 211 days before T; contained after 6 h; A6 late;
    // the first verification fails (ineffective); second attempt with A7 on
    // time, and its single check (2026-06-01) has no result at T.
    let nc3 = b.report(
        at(2025, 12, 1, 9),
        Severity::Major,
        Source::Monitoring,
        &["iso27001:2022/A.8.13"],
    );
    b.contain(nc3, at(2025, 12, 1, 15));
    b.analyse(nc3, at(2025, 12, 5, 9), &[Technology], true);
    let a6 = b.plan(nc3, at(2025, 12, 6, 9), day(2025, 12, 20));
    b.complete(nc3, a6, at(2025, 12, 22, 9));
    b.verify_plan(
        nc3,
        at(2025, 12, 23, 9),
        VerificationSchedule::recurring_count(day(2026, 1, 22), Period::months(1), 2),
    );
    b.check(nc3, at(2026, 1, 23, 9), 0, false);
    b.analyse(nc3, at(2026, 1, 26, 9), &[Process], true);
    let a7 = b.plan(nc3, at(2026, 1, 27, 9), day(2026, 2, 28));
    b.complete(nc3, a7, at(2026, 2, 27, 9));
    b.verify_plan(
        nc3,
        at(2026, 2, 28, 9),
        VerificationSchedule::once(day(2026, 6, 1)),
    );

    // NC4: reported at exactly T, linked at exactly T as a recurrence of NC1.
    let nc4 = b.report(
        t(),
        Severity::Minor,
        Source::SelfIdentified,
        &["iso27001:2022/7.5.3"],
    );
    b.run(
        t(),
        "manager",
        Command::LinkRecurrence {
            nonconformity: nc4,
            recurrence_of: nc1,
        },
    );

    // NC5: rejected two days after its report.
    let nc5 = b.report(
        at(2026, 5, 1, 9),
        Severity::Minor,
        Source::ExternalAudit,
        &["iso27001:2022/7.5.3"],
    );
    b.run(
        at(2026, 5, 3, 9),
        "manager",
        Command::RejectNonconformity {
            risk_acceptance: None,
            nonconformity: nc5,
            reason: RejectionReason::NotANonconformity,
            explanation: "Requirement met".into(),
        },
    );

    // NC6: everything before the window except its closure, at exactly T - W
    // (121 days 3 hours after its report).
    let nc6 = b.report(
        at(2025, 3, 1, 9),
        Severity::Minor,
        Source::Complaint,
        &["iso27001:2022/A.5.15"],
    );
    b.analyse(nc6, at(2025, 3, 5, 9), &[People], true);
    let a8 = b.plan(nc6, at(2025, 3, 6, 9), day(2025, 4, 1));
    b.complete(nc6, a8, at(2025, 3, 30, 9));
    b.verify_plan(
        nc6,
        at(2025, 3, 31, 9),
        VerificationSchedule::once(day(2025, 5, 1)),
    );
    b.check(nc6, at(2025, 5, 2, 9), 0, true);
    b.close(nc6, at(2025, 6, 30, 12));

    // NC7: reported one second after T.
    b.report(
        at(2026, 6, 30, 12) + chrono::Duration::seconds(1),
        Severity::Major,
        Source::Incident,
        &["iso27001:2022/A.8.13"],
    );

    // NC8: no action required; effective first time; closed at exactly T
    // (149 days 3 hours after its report).
    let nc8 = b.report(
        at(2026, 2, 1, 9),
        Severity::Minor,
        Source::SelfIdentified,
        &["iso27001:2022/A.5.36"],
    );
    b.analyse(nc8, at(2026, 2, 2, 9), &[Governance], false);
    b.verify_plan(
        nc8,
        at(2026, 2, 3, 9),
        VerificationSchedule::once(day(2026, 3, 1)),
    );
    b.check(nc8, at(2026, 3, 2, 9), 0, true);
    b.close(nc8, t());

    // After T: A3 moved, A4 completed. Neither may change the KPIs at T.
    b.reschedule(nc2, a3, at(2026, 7, 1, 9), day(2026, 8, 1));
    b.complete(nc2, a4, at(2026, 7, 2, 9));

    // Improvements: realised after 90 and 100 days in the window; one
    // open; one realised before the window.
    b.improvement(
        at(2025, 9, 1, 0),
        &[
            (at(2025, 9, 5, 0), "approve"),
            (at(2025, 11, 30, 0), "realise"),
        ],
    );
    b.improvement(
        at(2026, 1, 1, 0),
        &[
            (at(2026, 1, 2, 0), "approve"),
            (at(2026, 1, 3, 0), "start"),
            (at(2026, 4, 11, 0), "realise"),
        ],
    );
    b.improvement(at(2026, 5, 1, 0), &[(at(2026, 5, 2, 0), "approve")]);
    b.improvement(
        at(2024, 1, 1, 0),
        &[
            (at(2024, 1, 2, 0), "approve"),
            (at(2024, 6, 1, 0), "realise"),
        ],
    );
    b.register
}

fn report_at_t() -> KpiReport {
    KpiView::new(&fixture())
        .report(t(), &ReportOptions::default())
        .unwrap()
}

fn kpi(r: &KpiReport, id: KpiId) -> &isms_kpi::Kpi {
    r.get(id).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn days(m: &Measure) -> f64 {
    match m {
        Measure::Days { days } => *days,
        other => panic!("expected days, got {other:?}"),
    }
}

#[test]
fn open_nonconformities() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::OpenNonconformities);
    // Reported by T: NC1-6 and NC8 (NC7 is one second late). Open: NC2, NC3,
    // NC4 (NC8 closed at exactly T, NC5 rejected).
    assert_eq!(k.value, Measure::Count { count: 3 });
    assert_eq!(k.population, 7);
    assert_eq!(k.status, Status::NoTarget);
    let Detail::Open(d) = &k.detail else { panic!() };
    let sev: Vec<u64> = d.by_severity.iter().map(|s| s.count).collect();
    assert_eq!(sev, vec![1, 2]); // major NC3; minor NC2, NC4
    let states: BTreeMap<NcState, u64> = d.by_state.iter().map(|s| (s.state, s.count)).collect();
    assert_eq!(states[&NcState::Reported], 1);
    assert_eq!(states[&NcState::ActionsPlanned], 1);
    assert_eq!(states[&NcState::Implemented], 1);
    assert_eq!(states.values().sum::<u64>(), 3);
    assert_eq!(d.by_state.len(), 7, "every open state is listed");
}

#[test]
fn ageing() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::Ageing);
    // NC4 0 days, NC2 121 days (91-180), NC3 211 days (> 180).
    assert_eq!(
        k.value,
        Measure::Ratio {
            numerator: 2,
            denominator: 3,
            ratio: 2.0 / 3.0
        }
    );
    assert_eq!(k.status, Status::Red);
    let Detail::Ageing(d) = &k.detail else {
        panic!()
    };
    let buckets: Vec<(AgeBucket, u64)> = d.buckets.iter().map(|b| (b.bucket, b.count)).collect();
    assert_eq!(
        buckets,
        vec![
            (AgeBucket::Days0To30, 1),
            (AgeBucket::Days31To90, 0),
            (AgeBucket::Days91To180, 1),
            (AgeBucket::Over180Days, 1)
        ]
    );
}

#[test]
fn age_bucket_boundaries() {
    assert_eq!(AgeBucket::of(0), AgeBucket::Days0To30);
    assert_eq!(AgeBucket::of(30), AgeBucket::Days0To30);
    assert_eq!(AgeBucket::of(31), AgeBucket::Days31To90);
    assert_eq!(AgeBucket::of(90), AgeBucket::Days31To90);
    assert_eq!(AgeBucket::of(91), AgeBucket::Days91To180);
    assert_eq!(AgeBucket::of(180), AgeBucket::Days91To180);
    assert_eq!(AgeBucket::of(181), AgeBucket::Over180Days);
    // NC2 (reported 2026-03-01 09:00) is 30 whole days old at 2026-04-01
    // 08:00 and 31 an hour later. Open then: NC2, NC8 (59 days), NC1 (81),
    // NC3 (121).
    let view = KpiView::new(&fixture());
    let young = view.ageing(&Window::year_to(at(2026, 4, 1, 8)).unwrap());
    let counts = |a: &isms_kpi::Ageing| a.buckets.iter().map(|b| b.count).collect::<Vec<_>>();
    assert_eq!(counts(&young), vec![1, 2, 1, 0]);
    let older = view.ageing(&Window::year_to(at(2026, 4, 1, 9)).unwrap());
    assert_eq!(counts(&older), vec![0, 3, 1, 0]);
}

#[test]
fn time_to_contain() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::TimeToContain);
    // NC3 0.25 d, NC1 0.5 d, NC2 2 d: median 0.5; mean 2.75 / 3;
    // p90: h = 2 * 0.9 = 1.8, 0.5 + 0.8 * (2 - 0.5) = 1.7.
    assert!(close(days(&k.value), 0.5));
    assert_eq!(k.population, 3);
    assert_eq!(k.status, Status::Green);
    let Detail::Durations(d) = &k.detail else {
        panic!()
    };
    assert!(close(d.mean_days.unwrap(), 2.75 / 3.0));
    assert!(close(d.p90_days.unwrap(), 1.7));
}

#[test]
fn time_to_close() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::TimeToClose);
    // NC1 85 d; NC6 121.125 d (closed at exactly T - W); NC8 149.125 d
    // (closed at exactly T). Median 121.125; mean 355.25 / 3;
    // p90 = 121.125 + 0.8 * 28 = 143.525.
    assert_eq!(k.population, 3);
    assert!(close(days(&k.value), 121.125));
    assert_eq!(k.status, Status::Red);
    let Detail::Durations(d) = &k.detail else {
        panic!()
    };
    assert!(close(d.mean_days.unwrap(), 355.25 / 3.0));
    assert!(close(d.p90_days.unwrap(), 143.525));
}

#[test]
fn overdue_actions_and_rate() {
    let r = report_at_t();
    // Open at T: A3 (due yesterday: overdue; its reschedule is after T) and
    // A4 (due today: not overdue; completed after T). A5 was cancelled.
    let k = kpi(&r, KpiId::OverdueActions);
    assert_eq!(k.value, Measure::Count { count: 1 });
    assert_eq!(k.population, 2);
    let k = kpi(&r, KpiId::OverdueActionRate);
    assert_eq!(
        k.value,
        Measure::Ratio {
            numerator: 1,
            denominator: 2,
            ratio: 0.5
        }
    );
    assert_eq!(k.status, Status::Red);
    // As of 2026-03-01 12:00: A2's reschedule (recorded 2026-02-10) is in
    // force, so due 2026-03-10 and not overdue; A7 and A1 are done.
    let view = KpiView::new(&fixture());
    let earlier = view.overdue_actions(&Window::year_to(at(2026, 3, 1, 12)).unwrap());
    assert_eq!((earlier.open, earlier.overdue), (1, 0));
    // As of 2026-02-09 (before the reschedule) A2 is due 2026-02-20: not overdue;
    // as of 2026-03-11 it would have been overdue under its original date but
    // it is done by then.
    let before = view.overdue_actions(&Window::year_to(at(2026, 2, 9, 12)).unwrap());
    assert_eq!((before.open, before.overdue), (3, 0)); // A1, A2, A7
}

#[test]
fn on_time_action_completion() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::OnTimeActionCompletionRate);
    // Completed in the window: A1 (on time), A2 (late against the original
    // date, on time against the rescheduled one), A6 (late), A7 (on time).
    assert_eq!(
        k.value,
        Measure::Ratio {
            numerator: 2,
            denominator: 4,
            ratio: 0.5
        }
    );
    assert_eq!(k.status, Status::Red);
    let Detail::ActionTimeliness(d) = &k.detail else {
        panic!()
    };
    assert_eq!(d.on_time_current, 3);
    assert_eq!(d.rescheduled, 1);
    assert_eq!(d.on_time_current_rate, Some(0.75));
}

#[test]
fn effectiveness_rate() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::EffectivenessRate);
    // First conclusions in the window: NC1 effective, NC3 ineffective, NC8
    // effective (NC6's was before the window).
    assert_eq!(
        k.value,
        Measure::Ratio {
            numerator: 2,
            denominator: 3,
            ratio: 2.0 / 3.0
        }
    );
    assert_eq!(k.status, Status::Red);
}

#[test]
fn repeat_nonconformity_rate() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::RepeatNonconformityRate);
    // Reported in the window: NC1, NC2, NC3, NC4, NC5, NC8; NC4 linked at T.
    assert_eq!(
        k.value,
        Measure::Ratio {
            numerator: 1,
            denominator: 6,
            ratio: 1.0 / 6.0
        }
    );
    assert_eq!(k.status, Status::Red);
}

#[test]
fn overdue_verifications() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::OverdueVerifications);
    // NC2's plan: 2026-05-30 overdue, 2026-06-30 due today (not overdue).
    // NC3's second plan: 2026-06-01 overdue. Closed ones do not count.
    assert_eq!(k.value, Measure::Count { count: 2 });
    assert_eq!(k.population, 2);
    assert_eq!(k.status, Status::Amber);
    // As of 2026-01-22 12:00 NC3's first check (due that day) is not overdue;
    // the next day before its result it is.
    let view = KpiView::new(&fixture());
    let due_day = view.overdue_verifications(&Window::year_to(at(2026, 1, 22, 12)).unwrap());
    assert_eq!(due_day.overdue, 0);
    let next_day = view.overdue_verifications(&Window::year_to(at(2026, 1, 23, 8)).unwrap());
    assert_eq!(next_day.overdue, 1);
}

#[test]
fn root_cause_pareto() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::RootCausePareto);
    // In the window: technology (NC1, NC3 #1), process (NC2, NC3 #2),
    // people (NC2), governance (NC8). Ties in declaration order.
    assert_eq!(k.value, Measure::Count { count: 6 });
    let Detail::Pareto(d) = &k.detail else {
        panic!()
    };
    let rows: Vec<(RootCauseCategory, u64)> =
        d.rows.iter().map(|r| (r.category, r.count)).collect();
    assert_eq!(
        rows,
        vec![
            (RootCauseCategory::Process, 2),
            (RootCauseCategory::Technology, 2),
            (RootCauseCategory::People, 1),
            (RootCauseCategory::Governance, 1)
        ]
    );
    let cumulative: Vec<f64> = d.rows.iter().map(|r| r.cumulative_share).collect();
    for (got, want) in cumulative
        .iter()
        .zip([2.0 / 6.0, 4.0 / 6.0, 5.0 / 6.0, 1.0])
    {
        assert!(close(*got, want));
    }
}

fn nis2_map() -> BTreeMap<RequirementRef, Vec<RequirementRef>> {
    let r = |s: &str| -> RequirementRef { s.parse().unwrap() };
    BTreeMap::from([
        (r("iso27001:2022/A.8.13"), vec![r("nis2/21.2.c")]),
        (
            r("iso27001:2022/A.5.15"),
            vec![r("nis2/21.2.i"), r("nis2/21.2.j")],
        ),
        (
            r("iso27001:2022/A.5.36"),
            vec![r("nis2/21.2.f"), r("iso27001:2013/A.18.2.2")],
        ),
    ])
}

fn rows(v: &[RequirementCount]) -> Vec<(&str, u64)> {
    v.iter()
        .map(|r| (r.requirement.as_str(), r.count))
        .collect()
}

#[test]
fn by_requirement_and_projection() {
    let map = nis2_map();
    let options = ReportOptions::default().with_projection(&map, "nis2");
    let r = KpiView::new(&fixture()).report(t(), &options).unwrap();
    let k = kpi(&r, KpiId::ByRequirement);
    assert_eq!(k.value, Measure::Count { count: 6 });
    let Detail::Requirements(d) = &k.detail else {
        panic!()
    };
    assert_eq!(
        rows(&d.rows),
        vec![
            ("iso27001:2022/7.5.3", 2),
            ("iso27001:2022/A.8.13", 2),
            ("iso27001:2022/A.5.15", 1),
            ("iso27001:2022/A.5.36", 1),
            ("nis2/21.2.c", 1),
        ]
    );
    let p = d.projection.as_ref().unwrap();
    assert_eq!(p.framework, "nis2");
    // NC1 touches 21.2.c twice (A.8.13 and itself) but counts once.
    assert_eq!(
        rows(&p.rows),
        vec![
            ("nis2/21.2.c", 2),
            ("nis2/21.2.f", 1),
            ("nis2/21.2.i", 1),
            ("nis2/21.2.j", 1)
        ]
    );
    assert_eq!(p.unmapped, 2); // NC4 and NC5 (7.5.3 maps nowhere)
    // Without a projection there is none in the detail.
    let plain = report_at_t();
    let Detail::Requirements(d) = &kpi(&plain, KpiId::ByRequirement).detail else {
        panic!()
    };
    assert!(d.projection.is_none());
}

#[test]
fn backlog_trend() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::BacklogTrend);
    assert_eq!(k.value, Measure::Count { count: 3 });
    let Detail::Backlog(d) = &k.detail else {
        panic!()
    };
    let got: Vec<(&str, u64, u64, u64, u64)> = d
        .months
        .iter()
        .map(|m| {
            (
                m.month.as_str(),
                m.opened,
                m.closed,
                m.rejected,
                m.open_at_end,
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("2025-06", 0, 1, 0, 0), // NC6 closed at exactly T - W
            ("2025-07", 0, 0, 0, 0),
            ("2025-08", 0, 0, 0, 0),
            ("2025-09", 0, 0, 0, 0),
            ("2025-10", 0, 0, 0, 0),
            ("2025-11", 0, 0, 0, 0),
            ("2025-12", 1, 0, 0, 1), // NC3
            ("2026-01", 1, 0, 0, 2), // NC1
            ("2026-02", 1, 0, 0, 3), // NC8
            ("2026-03", 1, 0, 0, 4), // NC2
            ("2026-04", 0, 1, 0, 3), // NC1 closed
            ("2026-05", 1, 0, 1, 3), // NC5 reported and rejected
            ("2026-06", 1, 1, 0, 3), // NC4 reported and NC8 closed at T
        ]
    );
}

#[test]
fn improvements() {
    let r = report_at_t();
    let k = kpi(&r, KpiId::ImprovementsRealised);
    assert_eq!(k.value, Measure::Count { count: 2 });
    assert_eq!(k.population, 4);
    let Detail::Improvements(d) = &k.detail else {
        panic!()
    };
    assert_eq!(d.proposed, 3);
    let k = kpi(&r, KpiId::ImprovementCycleTime);
    // 90 and 100 days: median 95, p90 = 90 + 0.9 * 10 = 99.
    assert!(close(days(&k.value), 95.0));
    assert_eq!(k.population, 2);
    assert_eq!(k.status, Status::Amber);
    let Detail::Improvements(d) = &k.detail else {
        panic!()
    };
    assert!(close(d.cycle_time.p90_days.unwrap(), 99.0));
    assert!(close(d.cycle_time.mean_days.unwrap(), 95.0));
}

#[test]
fn every_kpi_is_in_the_report_in_order() {
    let r = report_at_t();
    let ids: Vec<KpiId> = r.kpis.iter().map(|k| k.id).collect();
    assert_eq!(ids, KpiId::ALL);
    assert_eq!(r.window_days, 365);
    assert_eq!(r.window_start, at(2025, 6, 30, 12));
}

#[test]
fn empty_register_gives_no_data_never_nan() {
    let r = KpiView::new(&Register::new())
        .report(t(), &ReportOptions::default())
        .unwrap();
    for k in &r.kpis {
        match k.unit {
            isms_kpi::Unit::Count => assert_eq!(k.value, Measure::Count { count: 0 }, "{}", k.id),
            _ => {
                assert_eq!(k.value, Measure::NoData, "{}", k.id);
                if k.target.is_some() {
                    assert_eq!(k.status, Status::NoData, "{}", k.id);
                }
            }
        }
    }
    let json = serde_json::to_string(&r).unwrap();
    assert!(!json.contains("NaN") && !json.contains("null,\"ratio\""));
}

#[test]
fn as_of_before_anything_is_empty() {
    let r = KpiView::new(&fixture())
        .report(at(2020, 1, 1, 0), &ReportOptions::default())
        .unwrap();
    assert_eq!(r.get(KpiId::OpenNonconformities).unwrap().population, 0);
    assert_eq!(r.get(KpiId::TimeToClose).unwrap().value, Measure::NoData);
}

#[test]
fn by_requirement_projected_onto_nis2_through_the_catalogue() {
    let catalog = isms_catalog::Catalog::shipped();
    let options = ReportOptions::default().with_projection(catalog, "nis2");
    let r = KpiView::new(&fixture()).report(t(), &options).unwrap();
    let Detail::Requirements(d) = &kpi(&r, KpiId::ByRequirement).detail else {
        panic!()
    };
    let p = d.projection.as_ref().unwrap();
    assert_eq!(p.framework, "nis2");
    let counts: BTreeMap<&str, u64> = p
        .rows
        .iter()
        .map(|r| (r.requirement.as_str(), r.count))
        .collect();
    // Backup (A.8.13: NC1, NC3) reaches Article 21(2)(c); NC1 also names it
    // directly, and still counts once there.
    assert_eq!(counts.get("nis2/21.2.c"), Some(&2), "{counts:?}");
    for row in &p.rows {
        assert!(row.requirement.starts_with("nis2/"), "{}", row.requirement);
        assert!(row.count <= d.nonconformities);
    }
    // Every count comes from a nonconformity reported in the window.
    assert!(p.unmapped <= d.nonconformities);
    // The projection of one reference, through the trait.
    use isms_kpi::RequirementProjection as _;
    let backup: RequirementRef = "iso27001:2022/A.8.13".parse().unwrap();
    let targets = catalog.project(&backup, "nis2");
    assert!(
        targets.iter().any(|t| t.as_str() == "nis2/21.2.c"),
        "{targets:?}"
    );
    let direct = isms_kpi::CatalogProjection {
        catalog,
        options: isms_catalog::TransitiveOptions {
            max_depth: 1,
            pivots: None,
        },
    };
    assert!(direct.project(&backup, "nis2").len() <= targets.len());
}

/// Issue 16: a check recorded as missed (with its reason) is accounted for,
/// not overdue. One minor nonconformity, monthly checks on 2026-02-01,
/// 2026-03-01 and 2026-04-01; check 0 recorded as missed on 2026-02-02.
/// By hand, as of 2026-03-10 12:00: checks dated before that day are 0 and
/// 1 (population 2); 0 is missed, 1 has nothing, so 1 is overdue. As of
/// 2026-02-10: only check 0 is due, and it is missed: none overdue. Before
/// the missed check was recorded (2026-02-01 18:00 is still its own day,
/// so take 2026-02-02 08:00): check 0 is overdue.
#[test]
fn a_missed_check_is_not_an_overdue_verification() {
    let mut b = Builder {
        register: Register::new(),
        policy: Policy::default(),
        n: 0,
    };
    let nc = b.report(
        at(2026, 1, 5, 9),
        Severity::Minor,
        Source::Monitoring,
        &["iso27001:2022/A.8.13"],
    );
    b.analyse(
        nc,
        at(2026, 1, 6, 9),
        &[RootCauseCategory::Technology],
        true,
    );
    let a = b.plan(nc, at(2026, 1, 6, 10), day(2026, 1, 20));
    b.complete(nc, a, at(2026, 1, 15, 9));
    b.verify_plan(
        nc,
        at(2026, 1, 16, 9),
        VerificationSchedule::recurring_count(day(2026, 2, 1), Period::months(1), 3),
    );
    b.run(
        at(2026, 2, 2, 10),
        "verifier",
        Command::RecordMissedCheck {
            nonconformity: nc,
            check: 0,
            reason: "Restore lab unavailable".into(),
        },
    );
    let view = KpiView::new(&b.register);
    let before = view.overdue_verifications(&Window::year_to(at(2026, 2, 2, 8)).unwrap());
    assert_eq!((before.checks_due, before.overdue), (1, 1));
    let after = view.overdue_verifications(&Window::year_to(at(2026, 2, 10, 12)).unwrap());
    assert_eq!((after.checks_due, after.overdue), (1, 0));
    let later = view.overdue_verifications(&Window::year_to(at(2026, 3, 10, 12)).unwrap());
    assert_eq!((later.checks_due, later.overdue), (2, 1));
}
