//! The small vocabulary generated registers draw from: short texts keep a
//! million-item register in memory, and realistic pairings (topic and
//! requirement, source and weight) keep its shape plausible.

use isms_core::{ImprovementSource, RootCauseCategory, Source};

/// Finding topics with the requirement each one most plausibly breaches.
pub(crate) const TOPICS: &[(&str, &str)] = &[
    ("Access review overdue", "iso27001:2022/A.5.18"),
    ("Leaver account still active", "iso27001:2022/A.5.15"),
    ("MFA not enforced on admin console", "iso27001:2022/A.8.5"),
    ("Backup restore never tested", "iso27001:2022/A.8.13"),
    ("Backup job failing unnoticed", "iso27001:2022/A.8.13"),
    ("Procedure out of date", "iso27001:2022/7.5.3"),
    ("Document owner not assigned", "iso27001:2022/7.5.2"),
    ("Critical patch missing", "iso27001:2022/A.8.8"),
    ("Malware protection disabled", "iso27001:2022/A.8.7"),
    ("Log retention too short", "iso27001:2022/A.8.15"),
    ("Alerts not monitored", "iso27001:2022/A.8.16"),
    ("Clock drift on servers", "iso27001:2022/A.8.17"),
    (
        "Supplier contract lacks security clause",
        "iso27001:2022/A.5.20",
    ),
    ("Supplier not reassessed", "iso27001:2022/A.5.22"),
    ("Cloud service not in inventory", "iso27001:2022/A.5.23"),
    ("Incident reported late", "iso27001:2022/A.5.24"),
    ("Lessons learned not recorded", "iso27001:2022/A.5.27"),
    ("Evidence not preserved", "iso27001:2022/A.5.28"),
    ("Continuity plan not exercised", "iso27001:2022/A.5.30"),
    ("Awareness training incomplete", "iso27001:2022/A.6.3"),
    ("Screening record missing", "iso27001:2022/A.6.1"),
    ("Asset inventory incomplete", "iso27001:2022/A.5.9"),
    ("Data classified inconsistently", "iso27001:2022/A.5.12"),
    ("Visitor log not kept", "iso27001:2022/A.7.2"),
    ("Clear desk not observed", "iso27001:2022/A.7.7"),
    ("Media disposed without wiping", "iso27001:2022/A.7.14"),
    ("Change deployed without approval", "iso27001:2022/A.8.32"),
    ("Test data holds personal data", "iso27001:2022/A.8.33"),
    ("Weak cryptographic settings", "iso27001:2022/A.8.24"),
    ("Secure coding rules not applied", "iso27001:2022/A.8.28"),
    ("Vulnerability scan skipped", "iso27001:2022/A.8.8"),
    ("Risk assessment not updated", "iso27001:2022/8.2"),
    ("Risk treatment plan stale", "iso27001:2022/6.1.3"),
    ("Statement of Applicability outdated", "iso27001:2022/6.1.3"),
    ("Security objectives not measured", "iso27001:2022/6.2"),
    ("Internal audit programme late", "iso27001:2022/9.2.2"),
    ("Management review inputs missing", "iso27001:2022/9.3.2"),
    ("Monitoring results not evaluated", "iso27001:2022/9.1"),
    ("Corrective action not verified", "iso27001:2022/10.2"),
    ("Roles and responsibilities unclear", "iso27001:2022/5.3"),
    ("Competence records missing", "iso27001:2022/7.2"),
    ("Network segmentation gap", "iso27001:2022/A.8.22"),
];

/// NIS2 Article 21(2) points that findings also touch, by the topic's
/// requirement (a few, for the frameworks mix).
pub(crate) const NIS2_EXTRA: &[&str] = &[
    "nis2/21.2.a",
    "nis2/21.2.b",
    "nis2/21.2.c",
    "nis2/21.2.d",
    "nis2/21.2.e",
    "nis2/21.2.f",
    "nis2/21.2.g",
    "nis2/21.2.h",
    "nis2/21.2.i",
    "nis2/21.2.j",
];

/// Sources of nonconformities and how often each occurs (weights).
pub(crate) const SOURCES: &[(Source, u32)] = &[
    (Source::InternalAudit, 25),
    (Source::Incident, 20),
    (Source::Monitoring, 15),
    (Source::SelfIdentified, 10),
    (Source::ExternalAudit, 8),
    (Source::RiskAssessment, 7),
    (Source::ManagementReview, 5),
    (Source::Supplier, 4),
    (Source::Complaint, 4),
    (Source::AuthorityOrder, 2),
];

/// Root-cause categories and their weights (process and people dominate,
/// as in most audit experience).
pub(crate) const CAUSES: &[(RootCauseCategory, u32, &str)] = &[
    (
        RootCauseCategory::Process,
        35,
        "Procedure unclear or missing",
    ),
    (RootCauseCategory::People, 25, "Staff unaware of the rule"),
    (RootCauseCategory::Technology, 20, "Tool misconfigured"),
    (RootCauseCategory::Supplier, 8, "Supplier did not deliver"),
    (RootCauseCategory::Governance, 8, "No owner assigned"),
    (RootCauseCategory::Environment, 4, "External event"),
];

/// Short action descriptions.
pub(crate) const ACTIONS: &[&str] = &[
    "Update the procedure",
    "Train the team",
    "Fix the configuration",
    "Add a monitoring alert",
    "Assign an owner",
    "Review the supplier",
    "Automate the check",
    "Revise the risk assessment",
];

/// Improvement sources and their weights.
pub(crate) const IMPROVEMENT_SOURCES: &[(ImprovementSource, u32)] = &[
    (ImprovementSource::Audit, 20),
    (ImprovementSource::PostIncidentReview, 20),
    (ImprovementSource::ManagementReview, 15),
    (ImprovementSource::Feedback, 15),
    (ImprovementSource::KpiTrend, 10),
    (ImprovementSource::RiskChange, 10),
    (ImprovementSource::Nonconformity, 10),
];

/// Improvement titles.
pub(crate) const IMPROVEMENTS: &[&str] = &[
    "Automate access recertification",
    "Central log dashboard",
    "Quarterly phishing exercise",
    "Supplier security portal",
    "Single sign-on for SaaS",
    "Restore tests in the pipeline",
];
