//! Frameworks and their items.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::id::{FrameworkId, ItemId};
use crate::nis2::ReportingDeadline;
use crate::vocab::{CisSafeguard, Iso27002Attributes, ItemKind, Theme};

/// A framework: a standard, a law or a control set, with its items.
///
/// This is also the JSON document a user loads to add a framework of their own
/// (see `docs/catalog.md`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Framework {
    /// The key used in references, for example `iso27001:2022`.
    pub id: FrameworkId,
    /// The name of the framework.
    pub name: String,
    /// The edition or version.
    pub version: String,
    /// Who publishes it.
    pub publisher: String,
    /// Under which terms the data in this catalogue may be used.
    pub licence: String,
    /// Attribution or notice that must travel with the data, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attribution: Option<String>,
    /// Where the identifiers and titles come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The items, parents before children.
    pub items: Vec<Item>,
}

impl Framework {
    /// The item with this exact identifier (linear search; use
    /// [`crate::Catalog::resolve_parts`] for fast and loose look-ups).
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id.as_str() == id)
    }
}

/// One item of a framework: a clause, control, article, point, safeguard...
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Item {
    /// The identifier inside the framework, for example `A.8.13`.
    pub id: ItemId,
    /// The parent item, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<ItemId>,
    /// What kind of item this is.
    pub kind: ItemKind,
    /// The title as published (ISO, CIS control), or a short name of our own (NIS2).
    /// `None` for numbered points that have no heading, and for CIS safeguards (licence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// A short summary in this project's own words (NIS2 only; never standard text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Facts that only some frameworks carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<ItemDetails>,
}

/// Framework-specific facts about an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ItemDetails {
    /// An ISO/IEC 27001:2022 Annex A control.
    AnnexAControl {
        /// The theme (Annex A clause 5, 6, 7 or 8).
        theme: Theme,
        /// The control has no predecessor in the 2013 edition.
        new_in_2022: bool,
    },
    /// An ISO/IEC 27002:2022 control with its attributes.
    Iso27002Control {
        /// The theme (clause 5, 6, 7 or 8).
        theme: Theme,
        /// The five attribute lists.
        attributes: Iso27002Attributes,
    },
    /// A CIS Controls v8 safeguard.
    CisSafeguard(CisSafeguard),
    /// A NIS2 provision that carries time limits.
    Nis2Deadlines {
        /// The time limits, in the order the provision states them.
        deadlines: Vec<ReportingDeadline>,
    },
}

impl Item {
    /// The ISO/IEC 27002:2022 attributes, if this is a 27002 control.
    pub fn iso27002_attributes(&self) -> Option<&Iso27002Attributes> {
        match &self.details {
            Some(ItemDetails::Iso27002Control { attributes, .. }) => Some(attributes),
            _ => None,
        }
    }

    /// The CIS safeguard facts, if this is a CIS safeguard.
    pub fn cis_safeguard(&self) -> Option<&CisSafeguard> {
        match &self.details {
            Some(ItemDetails::CisSafeguard(s)) => Some(s),
            _ => None,
        }
    }

    /// The NIS2 time limits of this provision (empty for other items).
    pub fn deadlines(&self) -> &[ReportingDeadline] {
        match &self.details {
            Some(ItemDetails::Nis2Deadlines { deadlines }) => deadlines,
            _ => &[],
        }
    }

    /// The Annex A / 27002 theme, if the item is a control that has one.
    pub fn theme(&self) -> Option<Theme> {
        match &self.details {
            Some(
                ItemDetails::AnnexAControl { theme, .. }
                | ItemDetails::Iso27002Control { theme, .. },
            ) => Some(*theme),
            _ => None,
        }
    }
}
