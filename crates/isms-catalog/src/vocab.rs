//! Closed vocabularies: ISO/IEC 27002:2022 attribute values, Annex A themes and
//! CIS Controls v8 safeguard facts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Declares a closed vocabulary: serde snake_case names, the label printed by the
/// publisher, `ALL`, `label()` and a case-insensitive `FromStr` accepting either form.
macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vmeta:meta])* $variant:ident => $label:literal ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* $variant ),+
        }

        /// Reads the serde name or any spelling `FromStr` accepts, so that JSON files
        /// take the same words as CSV files (`subset_of`, `Subset Of`, `subset-of`).
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                for v in Self::ALL {
                    if serde_json::to_value(v).ok().as_ref().and_then(|j| j.as_str()) == Some(&*s) {
                        return Ok(*v);
                    }
                }
                s.parse().map_err(serde::de::Error::custom)
            }
        }

        impl $name {
            /// Every value, in the publisher's order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant ),+ ];

            /// The label as the publisher prints it (ISO hashtags without the `#`).
            pub fn label(self) -> &'static str {
                match self { $( $name::$variant => $label ),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.label())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::ValueError;
            fn from_str(s: &str) -> Result<Self, $crate::error::ValueError> {
                let wanted = $crate::vocab::normalise_label(s);
                for v in Self::ALL {
                    if $crate::vocab::normalise_label(v.label()) == wanted {
                        return Ok(*v);
                    }
                }
                Err($crate::error::ValueError::UnknownLabel {
                    kind: $kind,
                    given: s.to_owned(),
                    expected: Self::ALL.iter().map(|v| v.label().to_owned()).collect(),
                })
            }
        }
    };
}
pub(crate) use vocabulary;

/// Lower-case, `#` dropped, spaces and hyphens as underscores, so that
/// `#Governance_and_Ecosystem`, `governance and ecosystem` and the label compare equal.
pub(crate) fn normalise_label(s: &str) -> String {
    s.trim()
        .trim_start_matches('#')
        .chars()
        .map(|c| {
            if c == ' ' || c == '-' {
                '_'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

vocabulary! {
    /// ISO/IEC 27002:2022 attribute "control type": when the control acts on an incident.
    ControlType, "control type" {
        /// Acts before an incident happens.
        Preventive => "Preventive",
        /// Acts when an incident happens.
        Detective => "Detective",
        /// Acts after an incident happened.
        Corrective => "Corrective",
    }
}

vocabulary! {
    /// ISO/IEC 27002:2022 attribute "information security properties".
    SecurityProperty, "information security property" {
        /// Confidentiality.
        Confidentiality => "Confidentiality",
        /// Integrity.
        Integrity => "Integrity",
        /// Availability.
        Availability => "Availability",
    }
}

vocabulary! {
    /// ISO/IEC 27002:2022 attribute "cybersecurity concepts" (after ISO/IEC TS 27110).
    CybersecurityConcept, "cybersecurity concept" {
        /// Identify.
        Identify => "Identify",
        /// Protect.
        Protect => "Protect",
        /// Detect.
        Detect => "Detect",
        /// Respond.
        Respond => "Respond",
        /// Recover.
        Recover => "Recover",
    }
}

vocabulary! {
    /// ISO/IEC 27002:2022 attribute "operational capabilities" (15 values).
    OperationalCapability, "operational capability" {
        /// Governance.
        Governance => "Governance",
        /// Asset management.
        AssetManagement => "Asset_management",
        /// Information protection.
        InformationProtection => "Information_protection",
        /// Human resource security.
        HumanResourceSecurity => "Human_resource_security",
        /// Physical security.
        PhysicalSecurity => "Physical_security",
        /// System and network security.
        SystemAndNetworkSecurity => "System_and_network_security",
        /// Application security.
        ApplicationSecurity => "Application_security",
        /// Secure configuration.
        SecureConfiguration => "Secure_configuration",
        /// Identity and access management.
        IdentityAndAccessManagement => "Identity_and_access_management",
        /// Threat and vulnerability management.
        ThreatAndVulnerabilityManagement => "Threat_and_vulnerability_management",
        /// Continuity.
        Continuity => "Continuity",
        /// Supplier relationships security.
        SupplierRelationshipsSecurity => "Supplier_relationships_security",
        /// Legal and compliance.
        LegalAndCompliance => "Legal_and_compliance",
        /// Information security event management.
        InformationSecurityEventManagement => "Information_security_event_management",
        /// Information security assurance.
        InformationSecurityAssurance => "Information_security_assurance",
    }
}

vocabulary! {
    /// ISO/IEC 27002:2022 attribute "security domains".
    SecurityDomain, "security domain" {
        /// Governance and ecosystem.
        GovernanceAndEcosystem => "Governance_and_Ecosystem",
        /// Protection.
        Protection => "Protection",
        /// Defence.
        Defence => "Defence",
        /// Resilience.
        Resilience => "Resilience",
    }
}

vocabulary! {
    /// The four themes of ISO/IEC 27001:2022 Annex A (clauses 5 to 8 of ISO/IEC 27002:2022).
    Theme, "theme" {
        /// Clause 5, organizational controls.
        Organizational => "Organizational",
        /// Clause 6, people controls.
        People => "People",
        /// Clause 7, physical controls.
        Physical => "Physical",
        /// Clause 8, technological controls.
        Technological => "Technological",
    }
}

vocabulary! {
    /// CIS Controls v8 implementation group.
    ImplementationGroup, "implementation group" {
        /// IG1, basic cyber hygiene.
        Ig1 => "IG1",
        /// IG2.
        Ig2 => "IG2",
        /// IG3.
        Ig3 => "IG3",
    }
}

vocabulary! {
    /// CIS Controls v8 safeguard asset type.
    AssetType, "asset type" {
        /// Devices.
        Devices => "Devices",
        /// Applications.
        Applications => "Applications",
        /// Data.
        Data => "Data",
        /// Network.
        Network => "Network",
        /// Users.
        Users => "Users",
        /// No asset type (CIS prints "N/A").
        NotApplicable => "N/A",
    }
}

vocabulary! {
    /// CIS Controls v8 safeguard security function.
    SecurityFunction, "security function" {
        /// Identify.
        Identify => "Identify",
        /// Protect.
        Protect => "Protect",
        /// Detect.
        Detect => "Detect",
        /// Respond.
        Respond => "Respond",
        /// Recover.
        Recover => "Recover",
    }
}

vocabulary! {
    /// What kind of element of its framework an item is.
    ItemKind, "item kind" {
        /// A numbered clause (ISO management-system clauses, ISO 27001:2013 Annex A clauses).
        Clause => "clause",
        /// A control objective (ISO/IEC 27001:2013 Annex A).
        Objective => "objective",
        /// A theme grouping controls (ISO/IEC 27001:2022 Annex A, ISO/IEC 27002:2022).
        Theme => "theme",
        /// A control (ISO Annex A, CIS Controls).
        Control => "control",
        /// A CIS safeguard.
        Safeguard => "safeguard",
        /// An article of a legal act.
        Article => "article",
        /// A paragraph or subparagraph of an article.
        Paragraph => "paragraph",
        /// A lettered or numbered point.
        Point => "point",
        /// A section of an annex.
        Section => "section",
        /// A subsection of an annex.
        Subsection => "subsection",
        /// A requirement of a user framework that fits none of the above.
        Requirement => "requirement",
    }
}

/// The ISO/IEC 27002:2022 attributes of one control (Annex A, Table A.1 of 27002).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Iso27002Attributes {
    /// Control types, in the order the standard prints them.
    pub control_types: Vec<ControlType>,
    /// Information security properties.
    pub security_properties: Vec<SecurityProperty>,
    /// Cybersecurity concepts.
    pub cybersecurity_concepts: Vec<CybersecurityConcept>,
    /// Operational capabilities.
    pub operational_capabilities: Vec<OperationalCapability>,
    /// Security domains.
    pub security_domains: Vec<SecurityDomain>,
}

/// The facts CIS publishes about a CIS Controls v8 safeguard (no title or text: licence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CisSafeguard {
    /// Implementation groups that include the safeguard (cumulative: IG1 ones are in all three).
    pub implementation_groups: Vec<ImplementationGroup>,
    /// Asset type (v8 values).
    pub asset_type: AssetType,
    /// Security function (v8 values).
    pub security_function: SecurityFunction,
}

impl CisSafeguard {
    /// The first (lowest) implementation group that includes the safeguard.
    pub fn first_group(&self) -> Option<ImplementationGroup> {
        self.implementation_groups.iter().copied().min()
    }
}
