//! A real browser opens the report: headless Chromium loads the demo
//! report from a file, with the network off, and must show every chart
//! with data and log no console error. Chromium comes from `$CHROMIUM` or
//! `chromium` on the PATH (`.ci/run` installs Debian's package). Without
//! it the test is skipped with a loud message, except under `CI=true`,
//! where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use isms_report::{Format, ReportOptions, render};

use crate::support::generated;

const CHARTS: usize = 7;

fn chromium() -> Option<PathBuf> {
    let candidate = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("chromium"));
    let ok = Command::new(&candidate)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(candidate)
}

fn run(browser: &Path, dir: &Path, profile: &str, extra: &[String], page: &Path) -> Output {
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
    ])
    .arg(format!("--user-data-dir={}", dir.join(profile).display()))
    .args(extra)
    .arg(format!("file://{}", page.display()));
    cmd.output().expect("start chromium")
}

/// Console errors and uncaught exceptions in Chromium's log.
fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            l.contains("Uncaught")
                || l.contains("ERROR:CONSOLE")
                || (l.contains(":CONSOLE") && l.contains("Refused to"))
                || l.contains("Content Security Policy")
        })
        .collect()
}

/// The `<svg class="chart">` elements of a page, each up to its `</svg>`.
fn charts(dom: &str) -> Vec<&str> {
    dom.split("<svg class=\"chart\"")
        .skip(1)
        .map(|s| s.split("</svg>").next().unwrap_or(""))
        .collect()
}

/// Data marks in a chart: rectangles other than the background, lines,
/// markers.
fn marks(svg: &str) -> usize {
    svg.matches("<rect").count().saturating_sub(1)
        + svg.matches("<polyline").count()
        + svg.matches("<circle").count()
}

#[test]
fn the_log_scanner_finds_console_errors() {
    let log = "[1:2:ERROR:dbus/bus.cc:405] Failed to connect to the bus\n\
               [3:4:INFO:CONSOLE(7)] \"Uncaught ReferenceError: x is not defined\", source: file:///r.html (7)\n";
    assert_eq!(console_errors(log).len(), 1);
    assert!(console_errors("[1:2:ERROR:dbus/bus.cc:405] Failed").is_empty());
    let svg =
        "<svg class=\"chart\"><rect/><rect/><text>t</text></svg><svg class=\"chart\"><rect/></svg>";
    let c = charts(svg);
    assert_eq!((c.len(), marks(c[0]), marks(c[1])), (2, 1, 0));
}

#[test]
#[allow(clippy::print_stderr)] // a skipped test must say so loudly
fn chromium_renders_the_demo_report() {
    let Some(browser) = chromium() else {
        let msg = "chromium not found (set CHROMIUM or install Debian's chromium): \
                   the real-browser test of the report did NOT run";
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{msg}");
        }
        eprintln!("\n!!!!!!!! SKIPPED: {msg} !!!!!!!!\n");
        return;
    };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("isms-report-browser");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let (register, end) = generated(1_500, 2026, 730);
    let options = ReportOptions {
        organisation: Some("Browser test".to_owned()),
        ..ReportOptions::default()
    };
    let html = render(&register, end, &options, Format::Html).unwrap();
    let page = dir.join("report.html");
    std::fs::write(&page, &html).unwrap();

    // The DOM after loading.
    let out = run(
        &browser,
        &dir,
        "profile-dom",
        &["--dump-dom".to_owned()],
        &page,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {stderr}");
    let errors = console_errors(&stderr);
    assert!(errors.is_empty(), "console errors: {errors:#?}");
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("Browser test") && dom.trim_end().ends_with("</html>"));
    let svgs = charts(&dom);
    assert_eq!(svgs.len(), CHARTS, "charts in the DOM");
    for svg in &svgs {
        let title = svg
            .split("<title")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .unwrap_or("?");
        assert!(marks(svg) >= 3, "chart {title} has no data marks");
        assert!(
            svg.matches("<text").count() >= 5,
            "chart {title} has no labels"
        );
    }

    // A screenshot: it exists and is not blank (a single-colour PNG of
    // this size compresses to a few KiB; the report is well over 40 KiB).
    let shot = dir.join("report.png");
    let out = run(
        &browser,
        &dir,
        "profile-shot",
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400".to_owned(),
        ],
        &page,
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed: {stderr}");
    assert!(console_errors(&stderr).is_empty(), "{stderr}");
    let png = std::fs::read(&shot).expect("the screenshot was written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert!(
        png.len() > 40 * 1024,
        "screenshot of {} bytes: blank?",
        png.len()
    );
}
