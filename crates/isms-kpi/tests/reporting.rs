//! The regulatory reporting KPIs on the seed document's unauthorised-access
//! example raised as a significant incident under NIS2, with every value
//! computed by hand in the comments.
//!
//! NC-0001 (unauthorised access): aware 2026-01-12 08:30. Early warning
//! due 01-13 08:30, sent 01-12 20:00: on time. Incident notification due
//! 01-15 08:30, sent 01-14 16:00 but recorded only 01-15 10:00. Final
//! report due one month after the notification was sent, 02-14 16:00;
//! sent 02-20 11:00: late. No intermediate report requested.
//! NC-0002 (a second incident): aware 2026-06-28 12:00; nothing sent.
//! NC-0003: an incident recorded as not significant (no clocks).
//! NC-0004: an internal audit finding (no reporting).

use chrono::{DateTime, TimeZone, Utc};
use isms_core::{
    Actor, ActorId, ClockRegime, Command, Context, NcFacts, NonconformityId, Policy, Register,
    ReportNonconformity, Severity, Source,
};
use isms_kpi::{Detail, KpiId, KpiView, Measure, ReportOptions, ReportingClocks, Status};

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

struct Fixture {
    register: Register,
    policy: Policy,
    n: u64,
}

impl Fixture {
    fn run(&mut self, when: DateTime<Utc>, command: Command) {
        let ctx = Context::new(
            when,
            Actor::new(ActorId::new("maria").unwrap()),
            &self.policy,
        );
        self.register
            .execute(&command, &ctx)
            .unwrap_or_else(|e| panic!("fixture command refused at {when}: {e}"));
    }

    fn report(&mut self, when: DateTime<Utc>, title: &str, source: Source) -> NonconformityId {
        self.n += 1;
        let id = NonconformityId::v7_from_parts(self.n, [self.n as u8; 10]);
        self.run(
            when,
            Command::ReportNonconformity(ReportNonconformity {
                audit: None,
                id,
                title: title.into(),
                description: title.into(),
                source,
                severity: Severity::Major,
                requirements: vec!["iso27001:2022/A.5.15".parse().unwrap()],
                owner: ActorId::new("it-lead").unwrap(),
                detected_at: when,
                external_deadline: None,
                links: vec![],
                extensions: Default::default(),
            }),
        );
        id
    }

    fn sent(
        &mut self,
        recorded: DateTime<Utc>,
        nc: NonconformityId,
        kind: &str,
        sent: DateTime<Utc>,
    ) {
        self.run(
            recorded,
            Command::record_report_submission(nc, kind, "CSIRT", sent),
        );
    }
}

pub(crate) fn seed_incidents() -> (Register, [NonconformityId; 4]) {
    let mut f = Fixture {
        register: Register::new(),
        policy: Policy::default(),
        n: 0,
    };
    let access = f.report(
        at(2026, 1, 12, 9, 0),
        "Unauthorised access to the HR share",
        Source::Incident,
    );
    f.run(
        at(2026, 1, 12, 10, 0),
        Command::record_incident_reporting(access, at(2026, 1, 12, 8, 30), true),
    );
    f.sent(
        at(2026, 1, 12, 20, 15),
        access,
        "early_warning",
        at(2026, 1, 12, 20, 0),
    );
    f.sent(
        at(2026, 1, 15, 10, 0),
        access,
        "incident_notification",
        at(2026, 1, 14, 16, 0),
    );
    f.sent(
        at(2026, 2, 20, 12, 0),
        access,
        "final_report",
        at(2026, 2, 20, 11, 0),
    );

    let second = f.report(
        at(2026, 6, 28, 13, 0),
        "Ransomware on a file server",
        Source::Incident,
    );
    f.run(
        at(2026, 6, 28, 14, 0),
        Command::record_incident_reporting(second, at(2026, 6, 28, 12, 0), true),
    );
    let minor = f.report(
        at(2026, 3, 2, 9, 0),
        "Phishing mail clicked",
        Source::Incident,
    );
    f.run(
        at(2026, 3, 2, 10, 0),
        Command::record_incident_reporting(minor, at(2026, 3, 2, 8, 0), false),
    );
    let audit = f.report(
        at(2026, 4, 1, 9, 0),
        "Visitor log not kept",
        Source::InternalAudit,
    );
    (f.register, [access, second, minor, audit])
}

fn clocks(view: &KpiView, t: DateTime<Utc>) -> (ReportingClocks, Measure, Measure, Status) {
    let report = view.report(t, &ReportOptions::default()).unwrap();
    let rate = report.get(KpiId::ReportingOnTimeRate).unwrap();
    let running = report.get(KpiId::ReportingClocksRunning).unwrap();
    let Detail::Reporting(d) = &rate.detail else {
        panic!("{:?}", rate.detail)
    };
    assert_eq!(running.detail, rate.detail);
    assert_eq!(rate.population, d.ended_in_window);
    assert_eq!(running.population, d.started);
    (
        d.clone(),
        rate.value.clone(),
        running.value.clone(),
        rate.status,
    )
}

fn expect(
    on_time: u64,
    late: u64,
    missed: u64,
    started: u64,
    running: u64,
    overdue: u64,
) -> ReportingClocks {
    ReportingClocks {
        started,
        ended_in_window: on_time + late + missed,
        on_time,
        late,
        missed,
        running,
        overdue,
    }
}

#[test]
fn an_on_time_early_warning_and_a_late_final_report_count_by_hand() {
    let (register, _) = seed_incidents();
    let view = KpiView::new(&register);
    // The same view from the facts a store keeps, through their encoding.
    let encoded: Vec<NcFacts> = register
        .nonconformities()
        .iter()
        .map(|nc| {
            let mut bytes = Vec::new();
            NcFacts::from(nc).encode(&mut bytes);
            NcFacts::decode(&bytes).unwrap()
        })
        .collect();
    let from_facts = KpiView::from_facts(&encoded, []);

    // T = 2026-06-30 12:00, W = 365 days. NC-0001: early warning and
    // notification on time, final report late. NC-0002: early warning due
    // 06-29 12:00, unsent: missed and overdue; notification due 07-01 12:00
    // and the final report (provisional, 08-01 12:00) still running.
    // Rate 2 / (2 + 1 + 1) = 0.5; running 3, one overdue; six started.
    let t = at(2026, 6, 30, 12, 0);
    for v in [&view, &from_facts] {
        let (d, rate, running, status) = clocks(v, t);
        assert_eq!(d, expect(2, 1, 1, 6, 3, 1));
        assert_eq!(rate, Measure::ratio(2, 4));
        assert_eq!(running, Measure::Count { count: 3 });
        assert_eq!(status, Status::Red, "target: all on time");
    }

    // T = 2026-01-15 09:00: the notification was sent on time but is not
    // recorded yet, and its deadline (08:30) has passed: missed as of T.
    // The final report's deadline is still counted from the notification's
    // deadline: 02-15 08:30, running. Rate 1 / 2; running 2, one overdue.
    let (d, rate, ..) = clocks(&view, at(2026, 1, 15, 9, 0));
    assert_eq!(d, expect(1, 0, 1, 3, 2, 1));
    assert_eq!(rate, Measure::ratio(1, 2));

    // T = 2026-02-01 00:00: the notification is recorded (sent 01-14
    // 16:00, on time), the final report due 02-14 16:00 is running.
    let (d, rate, running, status) = clocks(&view, at(2026, 2, 1, 0, 0));
    assert_eq!(d, expect(2, 0, 0, 3, 1, 0));
    assert_eq!(rate, Measure::ratio(2, 2));
    assert_eq!(running, Measure::Count { count: 1 });
    assert_eq!(status, Status::Green);

    // T = 2026-02-20 11:30: the final report was sent at 11:00 but is
    // recorded at 12:00, so as of T it is overdue and missed.
    let (d, ..) = clocks(&view, at(2026, 2, 20, 11, 30));
    assert_eq!(d, expect(2, 0, 1, 3, 1, 1));

    // Before the incident was recorded there are no clocks: no data.
    let (d, rate, running, _) = clocks(&view, at(2026, 1, 12, 9, 30));
    assert_eq!(d, ReportingClocks::default());
    assert_eq!(rate, Measure::NoData);
    assert_eq!(running, Measure::Count { count: 0 });
}

/// The periods of the shipped NIS2 regime are the catalogue's Article 23(4)
/// deadlines, provision by provision.
#[test]
fn the_nis2_regime_agrees_with_the_catalogue() {
    use isms_catalog::{Catalog, Period};
    let catalog = Catalog::shipped();
    let regime = ClockRegime::nis2();
    let mut checked = 0;
    for rule in &regime.rules {
        let provision = rule
            .provision
            .as_ref()
            .expect("every NIS2 rule names its provision");
        let resolved = catalog.resolve(provision.as_str()).unwrap();
        let deadlines = resolved.item().deadlines();
        let within = deadlines.first().and_then(|d| d.within);
        let expected = within.map(|p| match p {
            Period::Hours(h) => format!("PT{h}H"),
            Period::Days(d) => format!("P{d}D"),
            Period::Months(m) => format!("P{m}M"),
        });
        assert_eq!(
            rule.within.map(|w| w.to_string()),
            expected,
            "{}",
            rule.kind
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}
