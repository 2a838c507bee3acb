//! User text is shown as text, never interpreted: a title containing
//! `<script>` appears escaped in the HTML and the Markdown.

use chrono::{TimeZone, Utc};
use isms_core::{
    Actor, ActorId, Command, Context, ImprovementId, ImprovementSource, NonconformityId, Policy,
    Priority, ProposeImprovement, Register, ReportNonconformity, Severity, Source,
};
use isms_report::{ReportOptions, render_html, render_markdown};

const NC_TITLE: &str = r#"<script>alert("nc")</script>"#;
const IMP_TITLE: &str = "</td></tr></table><img src=x onerror=alert(1)>";
const ORG: &str = "Evil & Co <b>bold</b> | # [x](javascript:alert(1))";

fn register() -> Register {
    let policy = Policy::default();
    let at = |d| Utc.with_ymd_and_hms(2026, 3, d, 9, 0, 0).unwrap();
    let actor = Actor::new(ActorId::new("maria").unwrap());
    let mut register = Register::new();
    register
        .execute(
            &Command::ReportNonconformity(ReportNonconformity {
                audit: None,
                id: NonconformityId::v7_from_parts(1, [1; 10]),
                title: NC_TITLE.into(),
                description: "<iframe src=x>".into(),
                source: Source::InternalAudit,
                severity: Severity::Major,
                requirements: vec!["iso27001:2022/A.8.13".parse().unwrap()],
                owner: ActorId::new("omar").unwrap(),
                detected_at: at(1),
                external_deadline: None,
                links: vec![],
                extensions: Default::default(),
            }),
            &Context::new(at(2), actor.clone(), &policy),
        )
        .unwrap();
    register
        .execute(
            &Command::ProposeImprovement(ProposeImprovement {
                audit: None,
                id: ImprovementId::v7_from_parts(2, [2; 10]),
                source: ImprovementSource::Feedback,
                nonconformity: None,
                title: IMP_TITLE.into(),
                description: "d".into(),
                expected_benefit: "b".into(),
                priority: Priority::High,
                owner: ActorId::new("omar").unwrap(),
                due: None,
                links: vec![],
                extensions: Default::default(),
            }),
            &Context::new(at(3), actor, &policy),
        )
        .unwrap();
    register
}

fn options() -> ReportOptions<'static> {
    ReportOptions {
        title: format!("Review {NC_TITLE}"),
        organisation: Some(ORG.to_owned()),
        ..ReportOptions::default()
    }
}

#[test]
fn html_shows_user_text_as_text() {
    let t = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    let html = render_html(&register(), t, &options()).unwrap();
    let lower = html.to_ascii_lowercase();
    assert!(!lower.contains("<script"), "a script element got through");
    assert!(!lower.contains("<img"), "an img element got through");
    assert!(
        !lower.contains("<b>bold"),
        "markup in the organisation got through"
    );
    assert!(html.contains("&lt;script&gt;alert(&quot;nc&quot;)&lt;/script&gt;"));
    assert!(
        html.contains("&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&lt;img src=x onerror=alert(1)&gt;")
    );
    assert!(html.contains("Evil &amp; Co &lt;b&gt;bold&lt;/b&gt;"));
    assert!(html.contains("<title>Review &lt;script&gt;"));
    // The item made it into the tables (so the test can fail).
    assert!(html.contains("NC-0001") && html.contains("IMP-0001"));
}

#[test]
fn markdown_shows_user_text_as_text() {
    let t = Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap();
    let md = render_markdown(&register(), t, &options()).unwrap();
    let lower = md.to_ascii_lowercase();
    assert!(!lower.contains("<script") && !lower.contains("<img") && !lower.contains("<b>"));
    assert!(md.contains(r#"&lt;script&gt;alert("nc")&lt;/script&gt;"#));
    assert!(md.contains(r"Evil &amp; Co &lt;b&gt;bold&lt;/b&gt; \| \# \[x\](javascript:alert(1))"));
    // A pipe in user text cannot add a table column.
    for line in md.lines().filter(|l| l.contains("IMP-0001")) {
        assert_eq!(line.matches(" | ").count(), 5, "{line}");
    }
}
