//! `docs/kpis.md` is generated from the code and must be current.

#[test]
fn docs_are_current() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/kpis.md");
    let rendered = isms_kpi::render_kpis_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "docs/kpis.md is stale: run UPDATE_DOCS=1 cargo test -p isms-kpi docs_are_current"
    );
}
