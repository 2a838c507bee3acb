//! Writes the management-review pack of a demo-sized synthetic register
//! (2,000 nonconformities over two years) as HTML and Markdown.
//!
//! `cargo run -p isms-report --example demo_report -- target/report-demo.html`
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use isms_gen::{GeneratorConfig, generate};
use isms_report::{Format, ReportOptions, render};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "report-demo.html".to_owned()),
    );
    let mut config = GeneratorConfig::new(2_000, 2026);
    config.span_days = 730;
    let generated = generate(&config)?;
    let options = ReportOptions {
        organisation: Some("Example Organisation (synthetic register)".to_owned()),
        ..ReportOptions::default()
    };
    let format = Format::from_path(&out)?;
    let text = render(&generated.register, generated.end, &options, format)?;
    std::fs::write(&out, text)?;
    println!("{}", out.display());
    Ok(())
}
