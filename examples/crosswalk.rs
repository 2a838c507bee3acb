//! A crosswalk query with the shipped catalogue: what does a breached control
//! mean in NIS2 and in the 2013 edition of ISO/IEC 27001?
//!
//! ```text
//! cargo run --example crosswalk
//! ```
//!
//! It shows, in order:
//!
//! 1. resolving references the way people write them (`A.8.13`,
//!    `NIS2 21(2)(c)`), and the typed error with suggestions for a typo;
//! 2. the direct mappings of an Annex A control to NIS2 and to ISO/IEC
//!    27001:2013, each with its relationship and provenance;
//! 3. a transitive mapping through a pivot framework, with the relationship
//!    composed by set algebra and how certain it is;
//! 4. coverage: which NIS2 provisions a set of controls touches.

#![allow(clippy::print_stdout)] // an example program: printing is its job

use std::error::Error;

use isms::catalog::{Catalog, Certainty, Mapping, Relationship, ResolveError, TransitiveOptions};

fn show(mapping: &Mapping) -> String {
    let direction = if mapping.reversed {
        " (read backwards)"
    } else {
        ""
    };
    let inferred = if mapping.provenance.inferred {
        ", inferred"
    } else {
        ""
    };
    format!(
        "{} {} {}{direction}  [{}{inferred}]",
        mapping.source, mapping.relationship, mapping.target, mapping.provenance.source
    )
}

fn main() -> Result<(), Box<dyn Error>> {
    let catalog = Catalog::shipped();

    println!("1. Resolving loose spellings");
    // The framework and the item may each be spelt loosely; an auditor's
    // note "ISO 27001 A 8.13" and a policy's "A.8.13" land on the same item.
    for (framework, item) in [
        ("ISO 27001", "A.8.13"),
        ("iso27001:2022", "Annex A 8.13"),
        ("NIS2", "21(2)(c)"),
        ("NIS2", "Article 21(2)(c)"),
    ] {
        let resolved = catalog.resolve_parts(framework, item)?;
        println!(
            "   {framework:>14} {item:<17} -> {}  {}",
            resolved.reference(),
            resolved.title().unwrap_or("(no title)")
        );
    }
    let backup = catalog.resolve("ISO 27001/A.8.13")?;
    assert_eq!(backup.reference().to_string(), "iso27001:2022/A.8.13");
    assert_eq!(backup.title(), Some("Information backup"));
    let nis2_c = catalog.resolve_parts("NIS2", "21(2)(c)")?;
    assert_eq!(nis2_c.reference().to_string(), "nis2/21.2.c");
    if let Some(parent) = nis2_c.parent() {
        println!("   nis2/21.2.c sits under {}", parent.reference());
    }

    // A typo is a typed error that carries near matches, not a panic.
    match catalog.resolve("iso27001:2022/A.8.44") {
        Err(ResolveError::UnknownItem { suggestions, .. }) => {
            println!(
                "   A.8.44 is refused; suggestions: {}",
                suggestions.join(", ")
            );
            assert!(suggestions.iter().any(|s| s == "A.8.4"));
        }
        other => return Err(format!("expected an unknown-item error, got {other:?}").into()),
    }

    println!("\n2. Direct mappings of {}", backup.reference());
    let to_nis2 = backup.mappings_to("nis2")?;
    for m in &to_nis2 {
        println!("   {}", show(m));
    }
    assert!(
        to_nis2
            .iter()
            .any(|m| m.target.to_string() == "nis2/21.2.c")
    );
    let to_2013 = backup.mappings_to("iso27001:2013")?;
    for m in &to_2013 {
        println!("   {}", show(m));
    }
    assert_eq!(to_2013.len(), 1);
    assert_eq!(to_2013[0].target.to_string(), "iso27001:2013/A.12.3.1");
    // The correspondence table is stored 2013 -> 2022; this edge is derived. ISO/IEC
    // 27002 Annex B pairs the controls without saying they are the same, so the edge
    // claims only that they share content, and says that this is our reading.
    assert!(to_2013[0].reversed);
    assert_eq!(to_2013[0].relationship, Relationship::IntersectsWith);
    assert!(to_2013[0].provenance.inferred);

    println!("\n3. Transitive: iso27001:2013/A.12.3.1 to NIS2 (no direct crosswalk exists)");
    let old = "iso27001:2013/A.12.3.1";
    assert!(catalog.mappings(old, "nis2")?.is_empty());
    let paths = catalog.transitive_mappings(old, "nis2", &TransitiveOptions::default())?;
    for path in &paths {
        let route: Vec<String> = path.steps.iter().map(|s| s.target.to_string()).collect();
        println!(
            "   {} -> {}: {} ({:?}), possible {:?}",
            path.source,
            route.join(" -> "),
            path.relationship,
            path.certainty,
            path.possible
        );
    }
    // The shortest route: 2013 A.12.3.1 corresponds to 2022 A.8.13, which intersects
    // 21(2)(c). Two intersections in a row leave every relationship possible, even
    // none, so the path claims `intersects_with` only "at best".
    let via_2022 = paths
        .iter()
        .find(|p| p.target.to_string() == "nis2/21.2.c" && p.steps.len() == 2)
        .ok_or("no two-step path to nis2/21.2.c")?;
    assert_eq!(via_2022.pivots()[0].to_string(), "iso27001:2022");
    assert_eq!(via_2022.relationship, Relationship::IntersectsWith);
    assert_eq!(via_2022.certainty, Certainty::AtBest);
    assert!(
        via_2022.inferred(),
        "a composed path is always an inference"
    );
    // From the 2022 control through the Implementing Regulation: `intersects_with`
    // then `subset_of` allows either relationship, so the report is
    // `intersects_with`, and "overlapping" (the items certainly share content).
    let via_ir = catalog
        .transitive_mappings(
            "iso27001:2022/A.8.13",
            "nis2",
            &TransitiveOptions::default(),
        )?
        .into_iter()
        .find(|p| {
            p.pivots()
                .iter()
                .any(|f| f.to_string() == "nis2-ir:2024-2690")
        })
        .ok_or("no path through the Implementing Regulation")?;
    assert!(via_ir.possible.contains(Relationship::SubsetOf));
    assert_eq!(via_ir.certainty, Certainty::Overlapping);

    println!("\n4. Coverage of NIS2 by four controls breached in an audit");
    let breached = [
        "iso27001:2022/A.5.15",
        "iso27001:2022/A.5.18",
        "iso27001:2022/A.6.3",
        "iso27001:2022/A.8.13",
    ];
    let coverage = catalog.coverage(breached, "nis2", &TransitiveOptions::default())?;
    for item in &coverage.touched {
        println!(
            "   touches {:<12} {} ({:?}, {} path(s))",
            item.item.to_string(),
            item.relationship,
            item.certainty,
            item.paths.len()
        );
    }
    println!(
        "   {} of {} NIS2 items touched ({:.0} %)",
        coverage.touched.len(),
        coverage.touched.len() + coverage.untouched.len(),
        coverage.ratio() * 100.0
    );
    assert!(
        coverage
            .touched
            .iter()
            .any(|c| c.item.to_string() == "nis2/21.2.c")
    );
    assert!(coverage.ratio() > 0.0 && coverage.ratio() < 1.0);
    Ok(())
}
