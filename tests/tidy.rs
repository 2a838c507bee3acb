//! Tidy tests: the dependency rules of `docs/ARCHITECTURE.md`, checked under `cargo test`.
//!
//! As in rust-analyzer, an invariant that a reviewer would have to remember is a test instead.
//! The tables below are the rules; each matches a crate's "Depends on" and "Must never depend
//! on" lines in the architecture document. Changing a rule means changing the table here and
//! the document in the same commit.
//!
//! What is checked:
//! - which workspace crate may depend on which (`cargo metadata --no-deps`);
//! - which external crates only some workspace crates may use, and what `isms-core` may use;
//! - that no library crate declares a chrono or uuid feature that reads the clock or draws
//!   random numbers, and that the pure crates, built alone, pull no clock or random source
//!   (`cargo tree`: features unify across a workspace build, so only a build of the crate
//!   alone shows what the crate itself asks for);
//! - that `isms-core`'s source reads no clock, randomness, file, environment, network or
//!   process, and that no library crate prints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

// ---------------------------------------------------------------------------------------------
// The rules.
// ---------------------------------------------------------------------------------------------

/// Which workspace crates a crate may depend on.
enum Allowed {
    /// Exactly these (a subset is fine).
    Only(&'static [&'static str]),
    /// Any library crate of the workspace: not the binary, not the facade.
    AnyLibrary,
}

/// Normal (and build) dependencies between workspace crates. Every workspace crate has a row,
/// so a new crate cannot arrive without a rule.
///
/// Dev-dependencies are freer: tests, benches and examples may use any library crate (for
/// example `isms-gen` to make registers), except the binary, the facade, and a crate that
/// itself depends on the one under test (that would build the crate under test twice, and
/// its types would not match). See `dev_dependencies_stay_acyclic_and_off_the_binary`.
const ALLOWED_EDGES: &[(&str, Allowed)] = &[
    // The domain, useful alone: no workspace crate at all. Not even the catalogue: a
    // `RequirementRef` is checked for shape only.
    ("isms-core", Allowed::Only(&[])),
    // The catalogue is useful alone; its data is compiled in.
    ("isms-catalog", Allowed::Only(&[])),
    // KPIs over the core's register; `by_requirement` projects through the catalogue.
    ("isms-kpi", Allowed::Only(&["isms-core", "isms-catalog"])),
    // The generator runs commands through the core's rules; never the store or the CLI.
    ("isms-gen", Allowed::Only(&["isms-core"])),
    // The store contract decides through the core; never a database crate.
    ("isms-store", Allowed::Only(&["isms-core"])),
    // The SQLite backend implements the contract.
    (
        "isms-store-sqlite",
        Allowed::Only(&["isms-store", "isms-core"]),
    ),
    // The PostgreSQL backend implements the same contract; never the SQLite backend.
    (
        "isms-store-postgres",
        Allowed::Only(&["isms-store", "isms-core"]),
    ),
    // Schemas are generated from the types of the core, the catalogue and the KPI report;
    // never the store or the CLI.
    (
        "isms-schema",
        Allowed::Only(&["isms-core", "isms-catalog", "isms-kpi"]),
    ),
    // Spreadsheets: rows become core commands and one `AppendBatch` of the store contract;
    // never a store backend (the caller appends) or the CLI.
    ("isms-io", Allowed::Only(&["isms-core", "isms-store"])),
    // OSCAL: the register, and the catalogue's crosswalks and frameworks; never the store.
    ("isms-oscal", Allowed::Only(&["isms-core", "isms-catalog"])),
    // The review pack: numbers from isms-kpi, names from the catalogue; never a store.
    (
        "isms-report",
        Allowed::Only(&["isms-core", "isms-catalog", "isms-kpi"]),
    ),
    // The binary composes every library.
    ("isms-cli", Allowed::AnyLibrary),
    // The facade re-exports the libraries behind features.
    ("isms", Allowed::AnyLibrary),
    // The example product of docs/embedding.md: what an embedder would use, never the
    // SQLite backend or the CLI (it brings its own store).
    (
        "grc-product",
        Allowed::Only(&["isms-core", "isms-store", "isms-schema"]),
    ),
];

/// Workspace crates that are not libraries for others: nothing may depend on them.
/// `isms-cli` is a binary (what another program needs belongs in a library); `isms` is the
/// facade over everything, so a crate depending on it would depend on itself.
const NOT_A_DEPENDENCY: &[&str] = &["isms-cli", "isms", "grc-product"];

/// External crates that only the named workspace crates may depend on (normal dependencies;
/// tests may use them anywhere).
const RESTRICTED_EXTERNAL: &[(&str, &[&str], &str)] = &[
    (
        "rusqlite",
        &["isms-store-sqlite"],
        "the database lives in the SQLite backend; isms-store is the backend-neutral contract \
         and isms-core knows no store",
    ),
    (
        "postgres",
        &["isms-store-postgres"],
        "the server database lives in the PostgreSQL backend; the CLI and others go through it",
    ),
    (
        "clap",
        &["isms-cli"],
        "argument parsing belongs to the binary",
    ),
    (
        "clap_complete",
        &["isms-cli"],
        "completions belong to the binary",
    ),
    (
        "clap_mangen",
        &["isms-cli"],
        "the man page belongs to the binary",
    ),
];

/// Everything `isms-core` may depend on (normal dependencies), as its "Depends on" line says.
/// No I/O, database, CLI, clock or random crate: time and entropy arrive in `Context`.
const CORE_DEPENDENCIES: &[&str] = &[
    "serde",
    "serde_json",
    "thiserror",
    "chrono",
    // The IANA database compiled in, for the policy's time zone; reads no clock or file.
    "chrono-tz",
    "uuid",
    "schemars",
    // Only behind the `proptest` feature (the testkit); checked to be optional.
    "proptest",
    "proptest-state-machine",
];

/// Workspace crates whose normal dependencies may turn on a clock or a random source. Every
/// other crate takes the instant and the entropy as arguments.
const MAY_READ_CLOCK_OR_DRAW_RANDOM: &[&str] = &["isms-cli"];

/// Features that give a crate a clock or a random source. chrono's default features include
/// `clock`, so chrono's defaults must be off too.
const CLOCK_OR_RANDOM_FEATURES: &[(&str, &[&str])] = &[
    ("chrono", &["clock", "now", "wasmbind", "default"]),
    (
        "uuid",
        &[
            "v4",
            "v7",
            "rng",
            "fast-rng",
            "rng-getrandom",
            "rng-rand",
            "js",
        ],
    ),
];

/// Crates that are pure functions of their inputs (the architecture says they read no clock
/// and draw no random numbers): built alone, they must not pull a clock or a random source
/// even through another crate.
const PURE_CRATES: &[&str] = &[
    "isms-core",
    "isms-catalog",
    "isms-kpi",
    "isms-gen",
    "isms-report",
];

/// Packages that are a random source or a time-zone clock (in a pure crate's tree, a sign
/// that something asks for one).
const CLOCK_OR_RANDOM_PACKAGES: &[&str] = &["getrandom", "rand", "rand_core", "iana-time-zone"];

/// A rule of the source scans: what it forbids, and what to do instead.
struct SourceRule {
    name: &'static str,
    patterns: &'static [&'static str],
    instead: &'static str,
}

/// What `isms-core`'s source must never contain (its architecture invariant: no function in
/// the crate reads the clock, draws random numbers, touches the file system or prints).
const CORE_RULES: &[SourceRule] = &[
    SourceRule {
        name: "isms-core reads no clock",
        patterns: &[
            "Utc::now",
            "Local::now",
            "SystemTime",
            "Instant::now",
            "Timestamp::now",
            "now_v1",
            "now_v6",
            "now_v7",
        ],
        instead: "take the instant as an argument (commands get it from `Context::at`), so \
                  that every outcome is reproducible",
    },
    SourceRule {
        name: "isms-core draws no random numbers",
        patterns: &["thread_rng", "rand::", "getrandom", "OsRng", "new_v4"],
        instead: "take the entropy as an argument (`Context::entropy`, or bytes for \
                  `v7_from_parts`), so that every outcome is reproducible",
    },
    SourceRule {
        name: "isms-core touches no file, environment, network or process",
        patterns: &[
            "std::fs",
            "File::open",
            "File::create",
            "std::env",
            "std::net",
            "std::process",
        ],
        instead: "do the I/O in an adapter crate (store, io, CLI) and pass values in",
    },
];

/// What no library crate's source may contain (binaries and examples print; libraries never do).
const PRINT_RULE: SourceRule = SourceRule {
    name: "libraries never print",
    patterns: &[
        "println!",
        "eprintln!",
        "print!",
        "eprint!",
        "dbg!",
        "stdout()",
        "stderr()",
    ],
    instead: "return the text or a typed error and let the binary print it",
};

/// Modules of `std` that `CORE_RULES` forbids, as they appear in a grouped `use std::{...}`.
const CORE_FORBIDDEN_STD_MODULES: &[&str] = &["fs", "env", "net", "process"];

// ---------------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------------

#[test]
fn every_workspace_crate_has_a_rule() {
    let ws = Workspace::load();
    let members: BTreeSet<&str> = ws.packages.keys().map(String::as_str).collect();
    let ruled: BTreeSet<&str> = ALLOWED_EDGES.iter().map(|(name, _)| *name).collect();
    let mut problems = Vec::new();
    for missing in members.difference(&ruled) {
        problems.push(format!(
            "workspace crate `{missing}` has no row in ALLOWED_EDGES (tests/tidy.rs): add one \
             with the workspace crates it may depend on, as docs/ARCHITECTURE.md says"
        ));
    }
    for stale in ruled.difference(&members) {
        problems.push(format!(
            "ALLOWED_EDGES (tests/tidy.rs) names `{stale}`, which is not a workspace crate: \
             remove its row or fix the name"
        ));
    }
    report(problems);
}

#[test]
fn workspace_dependencies_follow_the_architecture() {
    let ws = Workspace::load();
    let mut problems = Vec::new();
    for (name, package) in &ws.packages {
        for dep in package.dependencies.iter().filter(|d| d.kind != Kind::Dev) {
            if !ws.packages.contains_key(&dep.name) {
                continue;
            }
            if !edge_allowed(name, &dep.name) {
                problems.push(format!(
                    "{manifest}: `{name}` depends on `{dep}`, which docs/ARCHITECTURE.md does \
                     not allow (ALLOWED_EDGES in tests/tidy.rs). Move what it needs into a crate \
                     it may depend on, or, if the architecture really changes, change the table \
                     and the document together",
                    manifest = ws.relative(&package.manifest_path),
                    dep = dep.name,
                ));
            }
        }
    }
    report(problems);
}

#[test]
fn dev_dependencies_stay_acyclic_and_off_the_binary() {
    let ws = Workspace::load();
    let mut problems = Vec::new();
    for (name, package) in &ws.packages {
        for dep in package.dependencies.iter().filter(|d| d.kind == Kind::Dev) {
            if !ws.packages.contains_key(&dep.name) || dep.name == *name {
                continue;
            }
            let manifest = ws.relative(&package.manifest_path);
            if NOT_A_DEPENDENCY.contains(&dep.name.as_str()) {
                problems.push(format!(
                    "{manifest}: `{name}` has a dev-dependency on `{dep}`, which is not a \
                     library for others; test through the library crates instead",
                    dep = dep.name,
                ));
            } else if ws.depends_on(&dep.name, name) {
                problems.push(format!(
                    "{manifest}: `{name}` has a dev-dependency on `{dep}`, which itself depends \
                     on `{name}`: the tests would link two copies of `{name}` whose types do not \
                     match. Put the test in `{dep}` or use a crate below `{name}`",
                    dep = dep.name,
                ));
            }
        }
    }
    report(problems);
}

#[test]
fn restricted_external_crates_stay_where_they_belong() {
    let ws = Workspace::load();
    let mut problems = Vec::new();
    for (name, package) in &ws.packages {
        for dep in package.dependencies.iter().filter(|d| d.kind != Kind::Dev) {
            for (restricted, allowed, why) in RESTRICTED_EXTERNAL {
                if dep.name == *restricted && !allowed.contains(&name.as_str()) {
                    problems.push(format!(
                        "{manifest}: `{name}` depends on `{restricted}`, which only {allowed:?} \
                         may use: {why}. Move the code that needs it there",
                        manifest = ws.relative(&package.manifest_path),
                    ));
                }
            }
        }
    }
    report(problems);
}

#[test]
fn core_depends_only_on_its_listed_crates() {
    let ws = Workspace::load();
    let core = ws.package("isms-core");
    let manifest = ws.relative(&core.manifest_path);
    let mut problems = Vec::new();
    for dep in core.dependencies.iter().filter(|d| d.kind != Kind::Dev) {
        if !CORE_DEPENDENCIES.contains(&dep.name.as_str()) {
            problems.push(format!(
                "{manifest}: isms-core depends on `{}`, which is not in CORE_DEPENDENCIES \
                 (tests/tidy.rs). The core must never depend on I/O, a store, the CLI, a clock \
                 or a random source; put the code that needs it in an adapter crate",
                dep.name
            ));
        }
        if (dep.name == "proptest" || dep.name == "proptest-state-machine") && !dep.optional {
            problems.push(format!(
                "{manifest}: isms-core's `{}` dependency must stay optional (behind the \
                 `proptest` feature) so that users of the core do not build it",
                dep.name
            ));
        }
    }
    report(problems);
}

#[test]
fn libraries_declare_no_clock_or_random_features() {
    let ws = Workspace::load();
    let mut problems = Vec::new();
    for (name, package) in &ws.packages {
        if MAY_READ_CLOCK_OR_DRAW_RANDOM.contains(&name.as_str()) {
            continue;
        }
        // Declared, not resolved: in a workspace build features unify, so the resolve would
        // show the CLI's `clock` on every crate. What a crate declares is what it asks for.
        for dep in package.dependencies.iter().filter(|d| d.kind != Kind::Dev) {
            for (krate, forbidden) in CLOCK_OR_RANDOM_FEATURES {
                if dep.name != *krate {
                    continue;
                }
                let mut declared = dep.features.clone();
                if dep.uses_default_features {
                    declared.push("default".to_owned());
                }
                for feature in declared.iter().filter(|f| forbidden.contains(&f.as_str())) {
                    problems.push(format!(
                        "{manifest}: `{name}` turns on {krate}'s `{feature}` (in its own entry \
                         or through [workspace.dependencies] in the root Cargo.toml), a clock or \
                         a random source. Take the instant or the entropy as an argument; only \
                         {allowed:?} may read the clock or draw random numbers, and a test that \
                         needs them adds the feature to a dev-dependency entry. chrono's default \
                         features include `clock`: keep `default-features = false`",
                        manifest = ws.relative(&package.manifest_path),
                        allowed = MAY_READ_CLOCK_OR_DRAW_RANDOM,
                    ));
                }
            }
        }
    }
    report(problems);
}

#[test]
fn pure_crates_built_alone_pull_no_clock_or_random_source() {
    let ws = Workspace::load();
    let mut problems = Vec::new();
    for name in PURE_CRATES {
        // `cargo tree -p` resolves features for this crate alone, as `cargo build -p` would,
        // so it shows what the crate and its own dependencies turn on.
        let output = Command::new(env!("CARGO"))
            .args(["tree", "--edges", "normal", "--prefix", "none"])
            .args(["--format", "{p} [{f}]", "--manifest-path"])
            .arg(ws.root.join("Cargo.toml"))
            .args(["--package", name])
            .output()
            .expect("run cargo tree");
        assert!(
            output.status.success(),
            "cargo tree -p {name} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let tree = String::from_utf8(output.stdout).expect("cargo tree prints UTF-8");
        for line in tree.lines() {
            let package = line.split(' ').next().unwrap_or_default();
            // `name v1.2.3 [feature,feature]`, with ` (*)` after a repeated package.
            let features: Vec<&str> = match (line.rfind('['), line.rfind(']')) {
                (Some(open), Some(close)) if open < close => line[open + 1..close]
                    .split(',')
                    .filter(|f| !f.is_empty())
                    .collect(),
                _ => Vec::new(),
            };
            if CLOCK_OR_RANDOM_PACKAGES.contains(&package) {
                problems.push(format!(
                    "`{name}`, built alone, pulls `{line}`, a clock or a random source. Find who \
                     asks for it with `cargo tree -p {name} -e features -i {package}` and turn \
                     that feature off"
                ));
            }
            for (krate, forbidden) in CLOCK_OR_RANDOM_FEATURES {
                if package != *krate {
                    continue;
                }
                for feature in features.iter().filter(|f| forbidden.contains(f)) {
                    problems.push(format!(
                        "`{name}`, built alone, gets {krate}'s `{feature}` feature (a clock or a \
                         random source). Find who asks for it with `cargo tree -p {name} -e \
                         features -i {krate}` and turn it off"
                    ));
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    report(problems);
}

#[test]
fn core_reads_no_clock_randomness_files_or_environment() {
    let ws = Workspace::load();
    let core = ws.package("isms-core");
    let mut problems = Vec::new();
    for file in core.library_sources() {
        let text = std::fs::read_to_string(&file).expect("read a source file");
        for rule in CORE_RULES {
            scan(&ws, &file, &text, rule, &mut problems);
        }
        scan_std_groups(&ws, &file, &text, &mut problems);
    }
    report(problems);
}

#[test]
fn libraries_never_print() {
    let ws = Workspace::load();
    let mut problems = Vec::new();
    for package in ws.packages.values() {
        for file in package.library_sources() {
            let text = std::fs::read_to_string(&file).expect("read a source file");
            scan(&ws, &file, &text, &PRINT_RULE, &mut problems);
        }
    }
    report(problems);
}

#[test]
fn the_scanner_finds_what_it_should() {
    // A scan that cannot fail is no scan: check it on text that breaks each rule.
    let ws = Workspace {
        root: PathBuf::from("/w"),
        packages: BTreeMap::new(),
    };
    let file = Path::new("/w/crates/isms-core/src/x.rs");
    let text = "fn f() {\n    let t = chrono::Utc::now(); // a clock\n    \
                // println!(\"only a comment\");\n    let s = \"// not a comment\"; print!(\"x\");\n    \
                let c = '\"'; eprintln!(\"{c}\");\n    let _ = std::io::stdout();\n}\n\
                use std::{\n    collections::BTreeMap,\n    fs,\n};\n";
    let mut problems = Vec::new();
    for rule in CORE_RULES {
        scan(&ws, file, text, rule, &mut problems);
    }
    scan(&ws, file, text, &PRINT_RULE, &mut problems);
    scan_std_groups(&ws, file, text, &mut problems);
    let places: Vec<&str> = problems
        .iter()
        .map(|p| p.split(": ").next().unwrap_or_default())
        .collect();
    assert_eq!(
        places,
        [
            "crates/isms-core/src/x.rs:2",
            "crates/isms-core/src/x.rs:4",
            "crates/isms-core/src/x.rs:5",
            "crates/isms-core/src/x.rs:6",
            "crates/isms-core/src/x.rs:10",
        ],
        "{problems:#?}"
    );
    // Word boundaries: `operand::` is not `rand::`, `sprint!` is not `print!`.
    let mut none = Vec::new();
    let clean = "let x = operand::new(); sprint!(y); let z = SystemTimeout;";
    for rule in CORE_RULES {
        scan(&ws, file, clean, rule, &mut none);
    }
    scan(&ws, file, clean, &PRINT_RULE, &mut none);
    assert!(none.is_empty(), "{none:#?}");
}

// ---------------------------------------------------------------------------------------------
// Reading the workspace.
// ---------------------------------------------------------------------------------------------

/// The workspace as `cargo metadata --no-deps` describes it.
struct Workspace {
    root: PathBuf,
    packages: BTreeMap<String, Package>,
}

struct Package {
    manifest_path: PathBuf,
    dependencies: Vec<Dependency>,
    /// Source files of the library target, if any.
    lib_src: Option<PathBuf>,
    /// Source files of binary targets (which may print), to leave out of library scans.
    bin_srcs: Vec<PathBuf>,
}

/// One dependency entry as the crate declares it (after workspace inheritance).
struct Dependency {
    name: String,
    kind: Kind,
    optional: bool,
    uses_default_features: bool,
    features: Vec<String>,
}

#[derive(PartialEq, Eq)]
enum Kind {
    Normal,
    Build,
    Dev,
}

impl Workspace {
    fn load() -> Self {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let output = Command::new(env!("CARGO"))
            .args([
                "metadata",
                "--format-version",
                "1",
                "--no-deps",
                "--manifest-path",
            ])
            .arg(root.join("Cargo.toml"))
            .output()
            .expect("run cargo metadata");
        assert!(
            output.status.success(),
            "cargo metadata failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
        let root = PathBuf::from(str_of(&metadata["workspace_root"]));
        let packages = metadata["packages"]
            .as_array()
            .expect("packages")
            .iter()
            .map(|p| (str_of(&p["name"]).to_owned(), Package::from_json(p)))
            .collect();
        Self { root, packages }
    }

    fn package(&self, name: &str) -> &Package {
        self.packages
            .get(name)
            .unwrap_or_else(|| panic!("no workspace crate named {name}"))
    }

    /// Whether `from` depends on `to` through normal or build dependencies, directly or not.
    fn depends_on(&self, from: &str, to: &str) -> bool {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(name) = todo.pop() {
            if !seen.insert(name) {
                continue;
            }
            let Some(package) = self.packages.get(name) else {
                continue;
            };
            for dep in package.dependencies.iter().filter(|d| d.kind != Kind::Dev) {
                if dep.name == to {
                    return true;
                }
                todo.push(&dep.name);
            }
        }
        false
    }

    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

impl Package {
    fn from_json(p: &Value) -> Self {
        let dependencies = p["dependencies"]
            .as_array()
            .expect("dependencies")
            .iter()
            .map(|d| Dependency {
                name: str_of(&d["name"]).to_owned(),
                kind: match d["kind"].as_str() {
                    None => Kind::Normal,
                    Some("build") => Kind::Build,
                    Some("dev") => Kind::Dev,
                    Some(other) => panic!("unknown dependency kind {other}"),
                },
                optional: d["optional"].as_bool().unwrap_or(false),
                uses_default_features: d["uses_default_features"].as_bool().unwrap_or(true),
                features: d["features"]
                    .as_array()
                    .expect("features")
                    .iter()
                    .map(|f| str_of(f).to_owned())
                    .collect(),
            })
            .collect();
        let targets = p["targets"].as_array().expect("targets");
        let has_kind = |t: &Value, kind: &str| {
            t["kind"]
                .as_array()
                .is_some_and(|k| k.iter().any(|k| k == kind))
        };
        let lib_src = targets
            .iter()
            .find(|t| has_kind(t, "lib") || has_kind(t, "proc-macro"))
            .map(|t| PathBuf::from(str_of(&t["src_path"])));
        let bin_srcs = targets
            .iter()
            .filter(|t| has_kind(t, "bin"))
            .map(|t| PathBuf::from(str_of(&t["src_path"])))
            .collect();
        Self {
            manifest_path: PathBuf::from(str_of(&p["manifest_path"])),
            dependencies,
            lib_src,
            bin_srcs,
        }
    }

    /// The `.rs` files under the library's source directory, without binaries (`src/bin/`
    /// and any `[[bin]]` file). Empty for a crate with no library.
    fn library_sources(&self) -> Vec<PathBuf> {
        let Some(lib) = &self.lib_src else {
            return Vec::new();
        };
        let src = lib.parent().expect("lib.rs has a directory");
        let mut files = Vec::new();
        let mut todo = vec![src.to_path_buf()];
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(&dir).expect("read a source directory") {
                let path = entry.expect("a directory entry").path();
                if path.is_dir() {
                    if path != src.join("bin") {
                        todo.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "rs")
                    && !self.bin_srcs.contains(&path)
                {
                    files.push(path);
                }
            }
        }
        files.sort();
        files
    }
}

fn edge_allowed(from: &str, to: &str) -> bool {
    if NOT_A_DEPENDENCY.contains(&to) {
        return false;
    }
    match ALLOWED_EDGES.iter().find(|(name, _)| *name == from) {
        Some((_, Allowed::Only(list))) => list.contains(&to),
        Some((_, Allowed::AnyLibrary)) => true,
        // Reported by `every_workspace_crate_has_a_rule`.
        None => true,
    }
}

fn str_of(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, found {v}"))
}

fn report(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n\n{}\n",
        problems.len(),
        problems.join("\n\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Scanning sources.
// ---------------------------------------------------------------------------------------------

/// Reports every line of `text` (comments left out) that contains one of `rule`'s patterns.
fn scan(ws: &Workspace, file: &Path, text: &str, rule: &SourceRule, problems: &mut Vec<String>) {
    let mut in_block_comment = false;
    for (number, line) in text.lines().enumerate() {
        let code = strip_comments(line, &mut in_block_comment);
        for pattern in rule.patterns {
            if contains_word(&code, pattern) {
                problems.push(format!(
                    "{}:{}: `{pattern}` breaks the rule \"{}\" (docs/ARCHITECTURE.md, checked by \
                     tests/tidy.rs): {}",
                    ws.relative(file),
                    number + 1,
                    rule.name,
                    rule.instead
                ));
            }
        }
    }
}

/// Reports `use std::{..., fs, ...}` and the like, which the plain patterns do not see.
fn scan_std_groups(ws: &Workspace, file: &Path, text: &str, problems: &mut Vec<String>) {
    let mut in_block_comment = false;
    let mut in_group = false;
    for (number, line) in text.lines().enumerate() {
        let code = strip_comments(line, &mut in_block_comment);
        let mut rest = code.as_str();
        if !in_group {
            match code.find("std::{") {
                Some(at) => {
                    in_group = true;
                    rest = &code[at + "std::{".len()..];
                }
                None => continue,
            }
        }
        if let Some(end) = rest.find(';') {
            rest = &rest[..end];
            in_group = false;
        }
        for module in CORE_FORBIDDEN_STD_MODULES {
            if contains_word(rest, module) {
                problems.push(format!(
                    "{}:{}: `std::{module}` (in a grouped use) breaks the rule \"isms-core \
                     touches no file, environment, network or process\" (docs/ARCHITECTURE.md, \
                     checked by tests/tidy.rs): do the I/O in an adapter crate (store, io, CLI) \
                     and pass values in",
                    ws.relative(file),
                    number + 1,
                ));
            }
        }
    }
}

/// The line without `//` comments and `/* */` comments. Approximate, as a tidy check may be:
/// it knows string and character literals on one line, not raw strings across lines.
fn strip_comments(line: &str, in_block_comment: &mut bool) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut code = String::new();
    let mut in_string = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if *in_block_comment {
            if c == '*' && next == Some('/') {
                *in_block_comment = false;
                i += 1;
            }
        } else if in_string {
            code.push(c);
            if c == '\\' {
                if let Some(n) = next {
                    code.push(n);
                }
                i += 1;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '/' && next == Some('/') {
            break;
        } else if c == '/' && next == Some('*') {
            *in_block_comment = true;
            i += 1;
        } else if c == '\'' && next == Some('"') && chars.get(i + 2) == Some(&'\'') {
            // The character literal '"' does not open a string.
            code.push_str("'\"'");
            i += 2;
        } else {
            code.push(c);
            if c == '"' {
                in_string = true;
            }
        }
        i += 1;
    }
    code
}

/// Whether `code` contains `pattern` not glued to a longer identifier on either side.
fn contains_word(code: &str, pattern: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    let starts_ident = pattern.starts_with(is_ident);
    let ends_ident = pattern.ends_with(is_ident);
    code.match_indices(pattern).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + pattern.len()..].chars().next();
        let glued_before = starts_ident && before.is_some_and(is_ident);
        let glued_after = ends_ident && after.is_some_and(is_ident);
        !glued_before && !glued_after
    })
}
