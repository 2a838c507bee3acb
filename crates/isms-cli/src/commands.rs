//! One function per command: parse, call the libraries, print.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use clap::CommandFactory as _;
use isms_catalog::{Catalog, TransitiveOptions};
use isms_core::{EvidenceRef, NcState, Register, StreamId};
use isms_store::append::{PreparedBatch, PreparedBatchBuilder};
use isms_store::{BackupError, EventStore, ItemFilter, ItemKind, Selection};
use isms_store_sqlite::{BackupReport, RestoreOptions, SqliteStore};

use crate::backend::{Store, Target};

use crate::cli::{
    CatalogCommand, Cli, Command as Cmd, DemoArgs, GenerateArgs, ImprovementCommand, NcCommand,
    PaperArg, Period, ReportArgs,
};
use crate::error::{CliError, input, io};
use crate::formats::{self, ImportFormat};
use crate::hiargs;
use crate::output::{self, print_json};
use crate::outputs::{self, Destination, Stdout};
use crate::parse::{self, enum_value, name_of};
use crate::session::{self, Session};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    let s = Session::new(cli.db, cli.actor)?
        .with_keys(cli.signing_key, cli.public_key, cli.allow_unverified)
        .with_user_frameworks(&cli.user_frameworks)?;
    match cli.command {
        Cmd::Init => init(&s),
        Cmd::Demo(args) => demo(&s, &args),
        Cmd::Generate(args) => generate(&s, &args),
        Cmd::Nc(c) => nc(&s, c),
        Cmd::Improvement(c) => improvement(&s, c),
        Cmd::Kpi(args) => kpi(&s, &args.period, args.audit.as_deref(), args.json.json),
        Cmd::Due(args) => crate::reporting::due(&s, &args),
        Cmd::Catalog(c) => catalog(c, s.catalog(), s.now),
        Cmd::Schema(args) => schema(&args.out),
        Cmd::Export(args) => export(&s, args),
        Cmd::Import(args) => import_files(&s, &args),
        Cmd::Verify(args) => verify(&s, &args),
        Cmd::Policy(c) => crate::policy::run(&s, c),
        Cmd::Audit(c) => crate::audit::run(&s, c),
        Cmd::Key(c) => key(&s, c),
        Cmd::Checkpoint(args) => checkpoint(&s, &args.out),
        Cmd::Rebuild => {
            let _lock = s.lock()?;
            let store = s.open_checked()?;
            store.verify()?;
            let mut store = store;
            let items = store.rebuild_projections(&mut |done| {
                if done > 0 && done.is_multiple_of(100_000) {
                    eprintln!("rebuilding projections: {done} items");
                }
            })?;
            println!(
                "rebuilt the projections of {items} items from the log in {}",
                s.db_shown()
            );
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Backup(args) => backup(&s, &args.to),
        Cmd::Restore(args) => restore(&s, &args),
        Cmd::Report(args) => {
            let store = s.open_read()?;
            let register = projected_register(&store)?;
            let path = report(&s, &register, &args)?;
            println!("wrote {}", path.display());
            exit_without_freeing(register);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Completions(args) => {
            clap_complete::generate(args.shell, &mut Cli::command(), "isms", &mut Stdout);
            Ok(ExitCode::SUCCESS)
        }
        Cmd::Man => {
            clap_mangen::Man::new(Cli::command())
                .render(&mut Stdout)
                .map_err(io("(standard output)"))?;
            Ok(ExitCode::SUCCESS)
        }
        Cmd::CliReference => {
            print!("{}", crate::reference::render());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Leaves a large value for the operating system to reclaim at exit: the
/// process ends right after, and freeing a register of 100,000 items block
/// by block costs a few hundred milliseconds that nobody waits for usefully.
fn exit_without_freeing<T>(value: T) {
    std::mem::forget(value);
}

/// `isms schema`: the bundle, one file per schema, each written as every
/// output is (`outputs`).
fn schema(dir: &Path) -> Result<ExitCode, CliError> {
    match std::fs::metadata(dir) {
        Ok(m) if !m.is_dir() => {
            return Err(CliError::Usage(format!(
                "{} exists and is not a directory; --out names the folder the schema files go into",
                dir.display()
            )));
        }
        Ok(_) => {}
        Err(_) => std::fs::create_dir_all(dir).map_err(io(dir))?,
    }
    let files = isms_schema::bundle();
    for file in &files {
        let path = dir.join(&file.file_name);
        outputs::write_output(&path, file.to_text().as_bytes())?;
    }
    println!("wrote {} schema files to {}", files.len(), dir.display());
    Ok(ExitCode::SUCCESS)
}

/// `isms export`: one file, or two for CSV (`-nonconformities`, `-actions`
/// before the extension), or standard output.
fn export(s: &Session, args: crate::cli::ExportArgs) -> Result<ExitCode, CliError> {
    let out = match (args.out, args.format) {
        (Some(path), _) => path,
        (None, formats::ExportFormat::Csv) => "register.csv".into(),
        (None, formats::ExportFormat::Xlsx) => "register.xlsx".into(),
        (None, _) => "-".into(),
    };
    if outputs::is_stdout(&out) && args.format == formats::ExportFormat::Csv {
        return Err(CliError::Usage(
            "a CSV export is two files (nonconformities and actions); name one with --out FILE.csv, \
             the two get -nonconformities and -actions before the extension"
                .into(),
        ));
    }
    let store = s.open_read()?;
    s.check_whole_chain(&store)?;
    let head = store.head()?;
    let checkpoint = store.latest_checkpoint()?;
    let provenance = s.provenance(head, checkpoint.as_ref());
    let events = store.load_all()?.into_iter().map(|e| e.event).collect();
    let files = formats::export_files(args.format, events, s.now, &provenance)?;
    for (suffix, bytes) in files {
        let path = with_suffix(&out, suffix);
        outputs::write_output(&path, &bytes)?;
        if !outputs::is_stdout(&path) {
            eprintln!("wrote {}", path.display());
        }
    }
    // Where the export came from, for whoever keeps it beside the file
    // (said with the files written; on standard output, said only when
    // the register did not verify).
    if outputs::is_stdout(&out) && s.unverified().is_none() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "exported from chain head {} at position {}{}{}",
        head.hash,
        head.position,
        checkpoint.map_or_else(
            || ", no signed checkpoint".to_owned(),
            |c| format!(
                ", checkpoint of position {} signed {} by key {}",
                c.position, c.at, c.key_id
            )
        ),
        s.unverified()
            .map_or_else(String::new, |e| format!("; UNVERIFIED: {e}"))
    );
    Ok(ExitCode::SUCCESS)
}

/// `isms backup`: a verified copy under a new name, or streamed into a
/// FIFO, a character device or standard output; never over a file.
fn backup(s: &Session, to: &Path) -> Result<ExitCode, CliError> {
    const COMMAND: &str = "backup";
    if let Target::Postgres { url, register } = s.target()? {
        return Err(CliError::Usage(postgres_backup_advice(&url, &register)));
    }
    let destination = outputs::destination(to)?;
    if let Destination::Existing(_) = destination {
        return Err(outputs::exists(to, COMMAND));
    }
    let Store::Sqlite(store) = s.open_read()? else {
        return Err(CliError::Other(
            "a file register opened as a server's".into(),
        ));
    };
    let report = match destination {
        Destination::Existing(_) => return Err(outputs::exists(to, COMMAND)),
        Destination::New => store.backup_to(to).map_err(|e| match e {
            BackupError::AlreadyExists { .. } => outputs::exists(to, COMMAND),
            other => other.into(),
        })?,
        Destination::Stdout | Destination::Stream => {
            // The backup is built and verified as a file first, then copied.
            let tmp = std::env::temp_dir().join(format!(
                "isms-backup-{}-{}.db",
                std::process::id(),
                s.now.timestamp()
            ));
            let streamed = store.backup_to(&tmp).map_err(CliError::from).and_then(|r| {
                let mut file = std::fs::File::open(&tmp).map_err(io(&tmp))?;
                outputs::stream_into(to, &mut file)?;
                Ok(r)
            });
            let _ = std::fs::remove_file(&tmp);
            BackupReport {
                path: to.to_owned(),
                ..streamed?
            }
        }
    };
    let mut summary = format!(
        "backup {} verified: {} events, {} bytes, head {}",
        report.path.display(),
        report.events,
        report.bytes,
        report.head.hash
    );
    // Kept evidence copies go beside a backup file, under the same layout
    // as beside the register; a stream carries the register alone.
    let copies = kept_copies(&store)?;
    if copies.count() > 0 {
        if let Destination::New = destination {
            let folder = crate::evidence::folder_of(to);
            let carried = copies.carry(&crate::evidence::folder_of(&s.db), &folder);
            if !carried.problems.is_empty() {
                return Err(CliError::EvidenceNotCarried {
                    done: summary,
                    folder,
                    problems: carried.problems,
                });
            }
            summary.push_str(&format!(
                "; {} kept evidence {} in {}",
                carried.intact,
                if carried.intact == 1 {
                    "copy"
                } else {
                    "copies"
                },
                folder.display()
            ));
        } else {
            eprintln!(
                "the stream carries the register only: back up its {} kept evidence copies in {} separately",
                copies.count(),
                crate::evidence::folder_of(&s.db).display()
            );
        }
    }
    // The summary goes to stderr when stdout carries the backup itself.
    if outputs::is_stdout(to) {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    Ok(ExitCode::SUCCESS)
}

/// The kept evidence copies a register's log names.
fn kept_copies(store: &impl EventStore) -> Result<crate::evidence::KeptCopies, CliError> {
    let mut copies = crate::evidence::KeptCopies::default();
    store.read(Selection::All, &mut |e| copies.visit(e.position, &e.event))?;
    Ok(copies)
}

/// `isms restore`: only a backup that extends the register's chain, unless
/// `--force`; the replaced register is always kept beside it.
fn restore(s: &Session, args: &crate::cli::RestoreArgs) -> Result<ExitCode, CliError> {
    if let Target::Postgres { url, register } = s.target()? {
        return Err(CliError::Usage(postgres_backup_advice(&url, &register)));
    }
    let _lock = s.lock()?;
    let options = RestoreOptions::default().allow_divergence(args.force);
    // The backup's own chain is verified by the restore; its checkpoints,
    // reference index and bodies are checked here first, with the keys this
    // invocation trusts, so that nothing replaces the register on their word.
    if let Ok(backup) = SqliteStore::open_with(
        &args.from,
        isms_store_sqlite::Options::default().read_only(true),
    ) {
        backup
            .verify_full(&s.trusted_keys()?, None)
            .map_err(|e| BackupError::RestoreRefused {
                path: args.from.clone(),
                source: Box::new(e.into()),
            })?;
    }
    let report = SqliteStore::restore_with(&args.from, &s.db, options)?;
    let done = format!(
        "restored {} from {}: {} events, verified, head {}",
        report.restored.path.display(),
        args.from.display(),
        report.restored.events,
        report.restored.head.hash
    );
    // The kept evidence copies the restored log names come from beside the
    // backup; copies already beside the register stay as they are.
    let restored =
        SqliteStore::open_with(&s.db, isms_store_sqlite::Options::default().read_only(true))?;
    let folder = crate::evidence::folder_of(&s.db);
    let carried = kept_copies(&restored)?.carry(&crate::evidence::folder_of(&args.from), &folder);
    if !carried.problems.is_empty() {
        return Err(CliError::EvidenceNotCarried {
            done,
            folder,
            problems: carried.problems,
        });
    }
    println!("{done}");
    if carried.intact > 0 {
        println!(
            "kept evidence: {} {} in {}",
            carried.intact,
            if carried.intact == 1 {
                "copy"
            } else {
                "copies"
            },
            folder.display()
        );
    }
    if let Some(kept) = &report.replaced {
        let previous = report
            .previous_head
            .as_ref()
            .map_or_else(String::new, |h| format!(" ({} events)", h.position));
        eprintln!(
            "the register it replaced{previous} is kept as {}",
            kept.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What backup and restore are on PostgreSQL: the server's own tools, or
/// a register document; the store has no file to copy.
fn postgres_backup_advice(url: &str, register: &isms_store_postgres::RegisterId) -> String {
    let url = crate::backend::redact(url);
    format!(
        "register {register} lives in a PostgreSQL database ({url}), not in a file isms could copy. \
         Back it up with PostgreSQL's tools: `pg_dump --table='isms.*' {url}` for the database, or one \
         register alone with `psql {url} -c \"\\copy (SELECT * FROM isms.events WHERE register = '{register}' \
         ORDER BY position) TO 'events.csv' CSV\"` (the other tables are derived from it); or keep a \
         register document, `isms --db URL?register={register} export --format json --out register.json`, \
         which `isms import register.json` loads into an empty register and `isms verify` checks. \
         Restore with `pg_restore`/`psql`, or by importing the document; see docs/scaling.md"
    )
}

fn init(s: &Session) -> Result<ExitCode, CliError> {
    match s.target()? {
        Target::File(path) => {
            SqliteStore::create(&path)?.close()?;
            println!("created an empty register in {}", path.display());
        }
        Target::Postgres { url, register } => {
            let label = crate::backend::init_postgres(&url, &register)?;
            println!("created an empty register in {}", label.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Opens the store, creating it if missing, and checks it holds nothing.
fn open_empty(s: &Session, why: &str) -> Result<Store, CliError> {
    let store = match s.target()? {
        Target::File(path) => Store::Sqlite(SqliteStore::open_or_create(&path)?),
        target @ Target::Postgres { .. } => Store::open(&target, |_| {
            Err(CliError::Other(
                "a PostgreSQL target opened as a file".into(),
            ))
        })?,
    };
    let head = store.head()?;
    if head.position > 0 {
        return Err(CliError::Usage(format!(
            "{} already holds {} events; {why} needs an empty register: pass --db NEW.db",
            s.db_shown(),
            head.position
        )));
    }
    Ok(store)
}

fn generate(s: &Session, args: &GenerateArgs) -> Result<ExitCode, CliError> {
    let _lock = s.lock()?;
    // A file that does not exist yet is filled by a bulk load (one pass,
    // under a temporary name, in place only when complete); an existing
    // empty register or a server by appends.
    let mut sink = match s.target()? {
        Target::File(path) if std::fs::symlink_metadata(&path).is_err() => {
            let load = SqliteStore::bulk_load(&path)?;
            for left in load.removed_abandoned() {
                eprintln!(
                    "removed {}, left by a generate into the same file that was interrupted",
                    left.display()
                );
            }
            Sink::Load(Box::new(load))
        }
        _ => Sink::Store(open_empty(s, "generate")?),
    };
    let mut config = isms_gen::GeneratorConfig::new(args.count, args.seed);
    config.start = s.now - Duration::days(i64::from(args.days));
    config.span_days = args.days;
    eprintln!(
        "generating {} nonconformities over {} days (seed {})...",
        args.count, args.days, args.seed
    );
    // The events are stored as they are generated, in runs, so memory holds
    // the generator's register and a few runs rather than every event of a
    // large register at once. A load takes runs of about 2,000: runs this
    // short are serialised while their items are still in the processor's
    // caches (7 % less CPU time than runs of 20,000 at 300,000 items,
    // docs/performance.md). A store commits each run, so it takes runs of
    // about 20,000. The generator runs on a thread of its own and hands
    // its runs over a channel of sixteen, so deciding the next runs
    // overlaps storing this one. The two threads take about as long as each
    // other, and each now and then stalls for a while (a page split, the
    // kernel taking a page back): sixteen short runs, a few tens of
    // milliseconds of work, let the other thread go on meanwhile, where two
    // left it waiting (docs/performance.md).
    let run_events = match sink {
        Sink::Load(_) => 2_000,
        Sink::Store(_) => 20_000,
    };
    let show = std::io::stderr().is_terminal() && args.count > 5_000;
    let mut n = 0u64;
    let mut failure = None;
    let prepare = matches!(sink, Sink::Load(_));
    let generated = std::thread::scope(|scope| {
        let (runs, arriving) = std::sync::mpsc::sync_channel::<(u64, Result<Handed, _>)>(16);
        // Stored runs go back to the generator thread to be freed by the
        // thread that allocated them, which every allocator does fastest
        // (glibc's serialised the storing thread's frees behind a lock).
        let (spent, returned) = std::sync::mpsc::channel::<PreparedBatch>();
        let generator = scope.spawn(move || {
            let mut handing = Handing {
                builder: prepare.then(|| PreparedBatch::builder(None)),
                events: Vec::new(),
                failed: None,
                runs,
                returned,
                stored: Vec::new(),
            };
            isms_gen::generate_to(&config, run_events, &mut handing).map(|generated| {
                // The generator's register, the whole register decided in
                // memory, is not used again, and the process ends with
                // this command: freeing a million items one allocation at a
                // time took 3 s after the last run was stored
                // (docs/performance.md). The operating system takes the
                // memory back at exit at once.
                std::mem::forget(generated.register);
                generated.stats
            })
        });
        for (len, run) in arriving.iter() {
            let appended = run.and_then(|run| {
                let appended = sink.store(&run);
                if let Handed::Prepared(prepared) = run {
                    // The generator may have finished: then it is freed here.
                    let _ = spent.send(prepared);
                }
                appended
            });
            match appended {
                Ok(_) => {
                    n += len;
                    if show {
                        eprint!("\rstoring: {n} events");
                    }
                }
                Err(e) => {
                    failure = Some(CliError::from(e));
                    break;
                }
            }
        }
        drop(arriving);
        generator.join()
    });
    if show {
        eprintln!();
    }
    let generated =
        generated.map_err(|_| CliError::Other("the generator thread panicked".into()))?;
    let stats = match generated {
        Ok(stats) => stats,
        Err(isms_gen::GenError::Stopped) => {
            return Err(failure
                .unwrap_or_else(|| CliError::Other("generation stopped without a reason".into())));
        }
        Err(e) => return Err(CliError::Usage(e.to_string())),
    };
    if let Some(e) = failure {
        return Err(e);
    }
    let mut store = match sink {
        Sink::Load(load) => Store::Sqlite(load.finish()?),
        Sink::Store(store) => store,
    };
    s.seal(&mut store)?;
    println!(
        "{}: {} nonconformities, {} corrective actions, {} improvements, {n} events",
        s.db_shown(),
        stats.nonconformities,
        stats.actions,
        stats.improvements
    );
    Ok(ExitCode::SUCCESS)
}

/// Where `generate` puts its events.
enum Sink {
    Load(Box<isms_store_sqlite::BulkLoad>),
    Store(Store),
}

impl Sink {
    fn store(&mut self, run: &Handed) -> Result<isms_store::Appended, isms_store::AppendError> {
        match (self, run) {
            (Sink::Load(load), Handed::Prepared(prepared)) => load.append_prepared(prepared),
            (Sink::Load(load), Handed::Batch(batch)) => load.append(batch),
            (Sink::Store(store), Handed::Batch(batch)) => store.append(batch),
            (Sink::Store(store), Handed::Prepared(prepared)) => match prepared.batch() {
                Some(batch) => store.append(batch),
                None => Err(isms_store::ReadError::Backend {
                    path: PathBuf::new(),
                    operation: "generate",
                    source: "a run prepared without its events can only be loaded into a new file"
                        .into(),
                }
                .into()),
            },
        }
    }
}

/// A run of `generate`'s events, as the generating thread hands it over.
enum Handed {
    /// Serialised, with the rows of the items it creates (a bulk load).
    Prepared(PreparedBatch),
    /// The events themselves (an append to a store).
    Batch(isms_store::AppendBatch),
}

impl Handed {
    fn len(&self) -> usize {
        match self {
            Handed::Prepared(prepared) => prepared.len(),
            Handed::Batch(batch) => batch.len(),
        }
    }
}

/// The generating thread's end of `generate`. For a bulk load, each event
/// is serialised into the run being built as it is decided, and moves into
/// the generator's register after (nothing is copied, and nothing is left
/// to free once the run is stored); the items a run creates are laid out
/// from that register. For a store, the events are copied into a batch.
struct Handing {
    builder: Option<PreparedBatchBuilder>,
    events: Vec<isms_core::Event>,
    /// An event that did not serialise, to be handed over at the run's end.
    failed: Option<isms_store::AppendError>,
    runs: std::sync::mpsc::SyncSender<(u64, Result<Handed, isms_store::AppendError>)>,
    returned: std::sync::mpsc::Receiver<PreparedBatch>,
    /// Stored runs not lent yet (the storing thread may hand back two at
    /// once, and none the next time).
    stored: Vec<PreparedBatch>,
}

impl isms_gen::RunSink for Handing {
    fn event(&mut self, event: &isms_core::Event) {
        match &mut self.builder {
            _ if self.failed.is_some() => {}
            Some(builder) => {
                if let Err(e) = builder.push(event) {
                    self.failed = Some(e);
                }
            }
            None => self.events.push(event.clone()),
        }
    }

    fn end_run(&mut self, register: &Register) -> bool {
        let run = match (self.failed.take(), &mut self.builder) {
            (Some(e), _) => Err(e),
            (None, Some(builder)) => {
                // A stored run lends its memory to the next one.
                self.stored.extend(self.returned.try_iter());
                let next = PreparedBatch::builder(self.stored.pop());
                // The items the run creates are folded in the generator's
                // register already: their rows are laid out from there.
                std::mem::replace(builder, next)
                    .finish(&|stream| register.item(stream))
                    .map(Handed::Prepared)
            }
            (None, None) => Ok(Handed::Batch(session::batch_of(&mut self.events))),
        };
        // A closed channel means the store gave up: stop generating.
        let go_on = run.is_ok();
        let len = run.as_ref().map_or(0, Handed::len) as u64;
        self.runs.send((len, run)).is_ok() && go_on
    }
}

fn demo(s: &Session, args: &DemoArgs) -> Result<ExitCode, CliError> {
    let db = if s.db_given {
        s.db.clone()
    } else {
        PathBuf::from("isms-demo.db")
    };
    let on_server = matches!(Target::of(&db)?, Target::Postgres { .. });
    if !on_server && db.exists() {
        if !args.force {
            return Err(CliError::Usage(format!(
                "{} exists; pass --force to replace it (only an isms register is replaced) or --db NEW.db",
                db.display()
            )));
        }
        // Only our own file is replaced: opening checks it is an isms store.
        SqliteStore::open(&db)?.close()?;
        for suffix in ["", "-wal", "-shm"] {
            let mut name = db.file_name().unwrap_or_default().to_os_string();
            name.push(suffix);
            let path = db.with_file_name(name);
            if path.exists() {
                std::fs::remove_file(&path).map_err(io(&path))?;
            }
        }
    }
    let s = Session::new(Some(db), None)?;
    let now = s.now;
    // The scenarios end about a year after they start; they are placed so
    // that their last event is a day before now, after two years of history.
    let probe = isms_gen::seed_scenarios(DateTime::<Utc>::UNIX_EPOCH)
        .map_err(|e| CliError::Other(e.to_string()))?;
    let scenario_span = probe.last_event_at - DateTime::<Utc>::UNIX_EPOCH;
    let mut config = isms_gen::GeneratorConfig::new(args.count, 2026).with_events();
    config.start = now - Duration::days(730);
    config.span_days = 730;
    let history = isms_gen::generate(&config).map_err(|e| CliError::Other(e.to_string()))?;
    let seed =
        isms_gen::seed_scenarios_onto(history.register, now - scenario_span - Duration::days(1))
            .map_err(|e| CliError::Other(e.to_string()))?;

    let mut store = if on_server {
        open_empty(&s, "demo")?
    } else {
        Store::Sqlite(SqliteStore::create(&s.db)?)
    };
    let mut events = history.events;
    events.extend(seed.events);
    session::append_streams(&mut store, events, "storing")?;
    s.seal(&mut store)?;
    let register = store.fold(Selection::All)?;

    let catalog = Catalog::shipped();
    let options = isms_kpi::ReportOptions {
        time_zone: s.policy()?.time_zone,
        ..isms_kpi::ReportOptions::default()
    }
    .with_projection(catalog, "nis2");
    let kpis = isms_kpi::KpiView::new(&register)
        .report(now, &options)
        .map_err(|e| CliError::Other(e.to_string()))?;
    print!("{}", output::kpi_dashboard(&kpis));

    println!("\nThe seed's three scenarios:");
    let picked: Vec<_> = [
        seed.unauthorised_access,
        seed.outdated_procedure,
        seed.failed_backup,
    ]
    .iter()
    .filter_map(|id| register.nonconformity(*id))
    .collect();
    print!("{}", output::nc_rows(&picked));

    let report_path = match s.target()? {
        Target::File(path) => {
            let mut name = path.file_stem().unwrap_or_default().to_os_string();
            name.push("-review.html");
            path.with_file_name(name)
        }
        Target::Postgres { register, .. } => PathBuf::from(format!("{register}-review.html")),
    };
    let args = ReportArgs {
        period: Period {
            as_of: None,
            window: "365d".into(),
        },
        paper: PaperArg::A4,
        organisation: Some("Demo Ltd".into()),
        out: report_path,
    };
    let written = report(&s, &register, &args)?;
    println!(
        "\nregister: {} ({} nonconformities, {} improvements)",
        s.db_shown(),
        register.nonconformities().len(),
        register.improvements().len()
    );
    println!("report:   {}", written.display());
    println!(
        "next:     isms --db {} nc show {} --history",
        s.db_shown(),
        picked
            .last()
            .map_or("NC-0001".into(), |n| n.reference.to_string())
    );
    Ok(ExitCode::SUCCESS)
}

fn verify(s: &Session, args: &crate::cli::VerifyArgs) -> Result<ExitCode, CliError> {
    let store = s.open_unchecked()?;
    let mut trusted = s.trusted_keys()?;
    let against = args.against.as_deref().map(read_checkpoint).transpose()?;
    // A checkpoint kept elsewhere is the verifier's own anchor: its key is
    // trusted, unless --public-key names the key to trust.
    if let Some(cp) = &against
        && s.public_key.is_none()
        && !trusted.contains(&cp.public_key)
    {
        trusted.push(cp.public_key);
    }
    let full = store.verify_full(&trusted, against.as_ref())?;
    let items = if args.deep {
        Some(store.check_projections()?)
    } else {
        None
    };
    let kept = check_kept_evidence(s, &store)?;
    let verified = full.verified;
    let signatures = if full.checkpoints == 0 {
        "none recorded".to_owned()
    } else if trusted.is_empty() {
        "checked only against the keys recorded with them (pass --public-key or --against to say which key to trust)".to_owned()
    } else {
        "signed by a trusted key".to_owned()
    };
    if args.json.json {
        print_json(&serde_json::json!({
            "intact": true,
            "events": verified.events,
            "head": verified.head,
            "claims": full.claims,
            "checkpoints": full.checkpoints,
            "key_ids": full.key_ids,
            "trusted_keys": trusted.iter().map(|k| k.key_id()).collect::<Vec<_>>(),
            "against": against.as_ref().map(|c| c.head()),
            "projections_checked": items,
            "kept_evidence": kept,
        }))?;
    } else {
        println!(
            "intact: {} events, chain head {} at position {}",
            verified.events, verified.head.hash, verified.head.position
        );
        println!(
            "database: {}every event decodes",
            match store {
                Store::Sqlite(_) => "SQLite's quick_check passed; ",
                Store::Postgres(_) => "",
            }
        );
        if kept > 0 {
            println!("evidence: all {kept} kept copies hash to the digests the events record");
        }
        println!(
            "references: all {} claims indexed as the events make them",
            full.claims
        );
        println!(
            "checkpoints: {} ({signatures}{})",
            full.checkpoints,
            if full.key_ids.is_empty() {
                String::new()
            } else {
                format!("; key ids {}", full.key_ids.join(", "))
            }
        );
        if let Some(cp) = &against {
            println!(
                "against: the chain still holds {} at position {} (checkpoint of {}, key {})",
                cp.hash, cp.position, cp.at, cp.key_id
            );
        }
        if let Some(items) = items {
            println!("projections: all {items} items equal a fresh fold of the log");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Whether `command` links a recurrence whose first half (on the later
/// item) is already recorded and whose second (on the earlier, open item)
/// is not: what a run that stopped between its two appends leaves. The
/// command then records only the second half, instead of being refused as
/// already linked and leaving the earlier item without the recurrence.
fn half_linked(store: &Store, command: &isms_core::Command) -> Result<bool, CliError> {
    let isms_core::Command::LinkRecurrence {
        nonconformity,
        recurrence_of,
    } = command
    else {
        return Ok(false);
    };
    let later = session::load_nonconformity(store, *nonconformity)?;
    if later.recurrence_of != Some(*recurrence_of) {
        return Ok(false);
    }
    let earlier = session::load_nonconformity(store, *recurrence_of)?;
    Ok(!earlier.state.is_terminal()
        && !earlier
            .recurrences
            .iter()
            .any(|r| r.recurrence == *nonconformity))
}

/// Re-hashes the kept evidence copies the log names (`<db>.evidence`): the
/// number found intact, or every missing or altered one (exit 6).
fn check_kept_evidence(s: &Session, store: &Store) -> Result<usize, CliError> {
    // A register on PostgreSQL keeps no copies (`--keep-evidence` is
    // refused there: it has no folder beside it).
    if let Store::Postgres(_) = store {
        return Ok(0);
    }
    let checked = kept_copies(store)?.check(&crate::evidence::folder_of(&s.db));
    if checked.problems.is_empty() {
        Ok(checked.intact)
    } else {
        Err(CliError::EvidenceDamaged {
            problems: checked.problems,
        })
    }
}

/// Reads a checkpoint file written by `isms checkpoint --out`.
fn read_checkpoint(path: &Path) -> Result<isms_store::Checkpoint, CliError> {
    let text = std::fs::read_to_string(path).map_err(input(path))?;
    isms_store::Checkpoint::from_json(&text).map_err(|e| CliError::InvalidInput {
        file: path.to_owned(),
        problems: vec![format!(
            "not a checkpoint file of `isms checkpoint --out`: {e}"
        )],
    })
}

/// `isms key init` / `isms key show`.
fn key(s: &Session, command: crate::cli::KeyCommand) -> Result<ExitCode, CliError> {
    match command {
        crate::cli::KeyCommand::Init(args) => {
            let path = args.out.or_else(|| s.signing_key.clone()).ok_or_else(|| {
                CliError::Usage(
                    "where should the key go? pass --out PATH (or set $ISMS_SIGNING_KEY)".into(),
                )
            })?;
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|e| CliError::Other(format!("no random source for the key: {e}")))?;
            let signer = isms_store::CheckpointSigner::from_seed(seed);
            write_secret(&path, signer.to_key_file().as_bytes())?;
            println!(
                "wrote signing key {} to {}",
                signer.key_id(),
                path.display()
            );
            println!("public key: {}", signer.public_key());
            println!(
                "give the public key to whoever verifies (isms verify --public-key HEX); keep the key file off the database's disk"
            );
        }
        crate::cli::KeyCommand::Show => {
            let signer = s.signer()?.ok_or_else(|| {
                CliError::Usage(
                    "no signing key: pass --signing-key PATH or set $ISMS_SIGNING_KEY".into(),
                )
            })?;
            println!("key id:     {}", signer.key_id());
            println!("public key: {}", signer.public_key());
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes a new file readable and writable by its owner only; never
/// replaces anything (a file, a link, a device).
fn write_secret(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            CliError::Usage(format!(
                "{} exists; a key is never replaced: choose a new path, or move the old key away first",
                path.display()
            ))
        } else {
            io(path)(e)
        }
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(io(path))
}

/// `isms checkpoint --out FILE`.
fn checkpoint(s: &Session, out: &Path) -> Result<ExitCode, CliError> {
    let latest = if s.signing_key.is_some() {
        let mut store = s.open_checked()?;
        s.seal(&mut store)?;
        store.latest_checkpoint()?
    } else {
        s.open_read()?.latest_checkpoint()?
    };
    let cp = latest.ok_or_else(|| CliError::NotFound {
        what: "a signed checkpoint".into(),
        hint: "; give a signing key (--signing-key PATH or $ISMS_SIGNING_KEY; `isms key init` makes one) and run `isms checkpoint` again".into(),
    })?;
    let mut json = cp.to_json();
    json.push('\n');
    outputs::write_output(out, json.as_bytes())?;
    let summary = format!(
        "checkpoint of position {} (hash {}), signed {} by key {}",
        cp.position, cp.hash, cp.at, cp.key_id
    );
    if outputs::is_stdout(out) {
        eprintln!("{summary}");
    } else {
        println!("{summary}, written to {}", out.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// The store filter of `nc list` / `improvement list`.
fn item_filter(
    s: &Session,
    kind: ItemKind,
    filter: &crate::cli::ListFilter,
) -> Result<ItemFilter, CliError> {
    let due_by = crate::hiargs::due_by(filter, s.today(&s.policy()?))?;
    Ok(ItemFilter {
        kind,
        owner: filter
            .owner
            .as_deref()
            .map(|o| {
                isms_core::ActorId::new(o).map_err(|e| CliError::Usage(format!("--owner: {e}")))
            })
            .transpose()?,
        due_by,
        ..ItemFilter::default()
    })
}

/// The items a filter selects, from the store's projections.
fn list(store: &Store, filter: &ItemFilter) -> Result<Vec<isms_core::Item>, CliError> {
    let mut items = Vec::new();
    store.list_items(filter, &mut |i| items.push(i))?;
    Ok(items)
}

/// The whole register from the store's projections (item states), without
/// folding the log.
fn projected_register(store: &Store) -> Result<Register, CliError> {
    let mut ncs = Vec::new();
    let mut imps = Vec::new();
    for kind in [ItemKind::Nonconformity, ItemKind::Improvement] {
        let filter = ItemFilter {
            kind,
            ..ItemFilter::default()
        };
        store.list_items(&filter, &mut |i| match i {
            isms_core::Item::Nonconformity(nc) => ncs.push(nc),
            isms_core::Item::Improvement(imp) => imps.push(imp),
        })?;
    }
    Ok(Register::from_items(ncs, imps))
}

fn as_of_and_window(s: &Session, period: &Period) -> Result<(DateTime<Utc>, u32), CliError> {
    let as_of = match &period.as_of {
        Some(t) => parse::instant("--as-of", t, s.policy()?.time_zone)?,
        None => s.now,
    };
    Ok((as_of, parse::window_days(&period.window)?))
}

fn report(s: &Session, register: &Register, args: &ReportArgs) -> Result<PathBuf, CliError> {
    let (as_of, window_days) = as_of_and_window(s, &args.period)?;
    let format = isms_report::Format::from_path(&args.out)
        .map_err(|e| CliError::Usage(format!("--out: {e}")))?;
    let options = isms_report::ReportOptions {
        window_days,
        organisation: args.organisation.clone(),
        paper: match args.paper {
            PaperArg::A4 => isms_report::Paper::A4,
            PaperArg::Letter => isms_report::Paper::Letter,
        },
        time_zone: s.policy()?.time_zone,
        unverified: s.unverified(),
        ..isms_report::ReportOptions::default()
    };
    let text = isms_report::render(register, as_of, &options, format)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    outputs::write_output(&args.out, text.as_bytes())?;
    Ok(args.out.clone())
}

fn kpi(
    s: &Session,
    period: &Period,
    audit: Option<&str>,
    json: bool,
) -> Result<ExitCode, CliError> {
    let (as_of, window_days) = as_of_and_window(s, period)?;
    let store = s.open_read()?;
    // Only one audit's findings: the selection from the item projections.
    let selection = match audit {
        Some(text) => {
            let id = crate::audit::audit_id(text)?;
            if crate::audit::book(&store)?.audit(&id).is_none() {
                return Err(CliError::NotFound {
                    what: format!("audit {id}"),
                    hint: "; `isms audit list` shows the audits recorded".into(),
                });
            }
            let (ncs, imps) = crate::audit::findings(&store, &id)?;
            Some(isms_kpi::Selection::of_audit(&id, &ncs, &imps))
        }
        None => None,
    };
    // Streamed from the store's KPI facts, decoded straight into the
    // view's columns: no register is built, nor any per-item value.
    let (ncs, _) = store.facts_size_hint()?;
    let ncs = usize::try_from(ncs.min(u64::from(isms_core::MAX_ITEMS))).unwrap_or(0);
    let mut builder = isms_kpi::KpiViewBuilder::with_capacity(ncs, ncs / 2 * 5);
    store.read_encoded_facts(&mut |kind, bytes| match (kind, &selection) {
        (ItemKind::Nonconformity, None) => builder.push_encoded_nonconformity(bytes),
        (ItemKind::Improvement, None) => builder.push_encoded_improvement(bytes),
        (ItemKind::Nonconformity, Some(sel)) => {
            builder.push_encoded_nonconformity_in(bytes, sel).map(drop)
        }
        (ItemKind::Improvement, Some(sel)) => {
            builder.push_encoded_improvement_in(bytes, sel).map(drop)
        }
    })?;
    let view = builder.finish();
    let catalog = Catalog::shipped();
    let options = isms_kpi::ReportOptions {
        window_days,
        time_zone: s.policy()?.time_zone,
        ..isms_kpi::ReportOptions::default()
    }
    .with_projection(catalog, "nis2");
    let report = view
        .report(as_of, &options)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if json {
        print_json(&report)?;
    } else {
        print!("{}", output::kpi_dashboard(&report));
    }
    exit_without_freeing(view);
    Ok(ExitCode::SUCCESS)
}

/// `PATH` with `suffix` put before its extension (`r.csv`, `-actions` ->
/// `r-actions.csv`).
fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    if suffix.is_empty() {
        return path.to_owned();
    }
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}{suffix}.{}", ext.to_string_lossy()),
        None => format!("{stem}{suffix}"),
    };
    path.with_file_name(name)
}

/// The size limit of an input file and how to say it: a spreadsheet (by
/// its extension) may have isms-io's [`isms_io::MAX_FILE_BYTES`]; anything
/// else is read as a JSON document (register document or OSCAL POA&M),
/// which may have [`formats::MAX_DOCUMENT_BYTES`].
fn input_limit(f: &Path) -> (u64, &'static str, &'static str) {
    let spreadsheet = f
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .is_some_and(|e| matches!(e.as_str(), "csv" | "xlsx" | "txt" | "tsv"));
    if spreadsheet {
        (
            isms_io::MAX_FILE_BYTES,
            "a spreadsheet import takes",
            "split it, or export fewer rows",
        )
    } else {
        (
            formats::MAX_DOCUMENT_BYTES,
            "a register document or OSCAL POA&M import takes",
            "export fewer nonconformities, or move the register with `isms backup`",
        )
    }
}

fn too_large(f: &Path, size: String, what: &str, limit: u64, advice: &str) -> CliError {
    CliError::InvalidInput {
        file: f.to_owned(),
        problems: vec![format!(
            "the file has {size} bytes; {what} at most {limit} bytes per file ({advice}); \
             nothing was read"
        )],
    }
}

/// Reads a small input file of an option (`--from`, `--schema`), at most
/// `limit` bytes of it (beyond: exit 7, nothing more read).
pub(crate) fn read_bounded_to(f: &Path, limit: u64) -> Result<Vec<u8>, CliError> {
    use std::io::Read as _;
    let file = std::fs::File::open(f).map_err(input(f))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(input(f))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(
            f,
            format!("more than {limit}"),
            "this option takes",
            limit,
            "keep the fields small; put large documents elsewhere and link them",
        ));
    }
    Ok(bytes)
}

/// Refuses an input file above its format's size limit by its size on
/// disk, before a byte of it is read (exit 7): reading a multi-gigabyte file
/// first only to refuse it would cost the memory the limit protects.
fn check_input_size(f: &Path) -> Result<(), CliError> {
    let Ok(meta) = std::fs::metadata(f) else {
        return Ok(()); // reading reports a missing file (exit 4)
    };
    let (limit, what, advice) = input_limit(f);
    if meta.is_file() && meta.len() > limit {
        return Err(too_large(f, meta.len().to_string(), what, limit, advice));
    }
    Ok(())
}

/// Reads an input file, at most `limit` bytes of it: a FIFO, a device or a
/// file that grew since its size was checked (`/dev/zero`, `<(yes)`) is
/// refused once it passes the limit (exit 7), never read until memory runs
/// out.
fn read_bounded(f: &Path, limit: u64) -> Result<Vec<u8>, CliError> {
    use std::io::Read as _;
    let file = std::fs::File::open(f).map_err(input(f))?;
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(input(f))?;
    if bytes.len() as u64 > limit {
        let (_, what, advice) = input_limit(f);
        return Err(too_large(
            f,
            format!("more than {limit}"),
            what,
            limit,
            advice,
        ));
    }
    Ok(bytes)
}

/// Reads an input file within its format's limit ([`input_limit`]).
fn read_input(f: &Path) -> Result<Vec<u8>, CliError> {
    check_input_size(f)?;
    read_bounded(f, input_limit(f).0)
}

fn import_files(s: &Session, args: &crate::cli::ImportArgs) -> Result<ExitCode, CliError> {
    let mut contents = Vec::with_capacity(args.files.len() + args.with.len());
    for f in args.files.iter().chain(&args.with) {
        check_input_size(f)?;
    }
    for f in args.files.iter().chain(&args.with) {
        let bytes = read_input(f)?;
        let format = ImportFormat::detect(f, &bytes)?;
        contents.push((f.display().to_string(), format, bytes));
    }
    if contents.iter().all(|c| c.1 == ImportFormat::Spreadsheet) {
        return import_spreadsheets(s, args, &contents);
    }
    if contents.len() != 1 {
        return Err(CliError::Usage(
            "a register document (JSON) is imported alone; give one file".into(),
        ));
    }
    import(s, &args.files[0])
}

fn import_spreadsheets(
    s: &Session,
    args: &crate::cli::ImportArgs,
    contents: &[(String, ImportFormat, Vec<u8>)],
) -> Result<ExitCode, CliError> {
    let joined = contents
        .iter()
        .map(|c| c.0.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let invalid = |problems: Vec<String>| CliError::InvalidInput {
        file: joined.clone().into(),
        problems,
    };
    let mut options = isms_io::ImportOptions::new(isms_core::Actor::new(s.actor()?));
    options.policy = s.policy()?;
    // Fresh identifiers per import, so two imports never clash.
    options.entropy = uuid::Uuid::new_v4().as_u64_pair().0;
    options.date_order = args.date_order.map(|d| match d {
        crate::cli::DateOrderArg::Dmy => isms_io::DateOrder::Dmy,
        crate::cli::DateOrderArg::Mdy => isms_io::DateOrder::Mdy,
    });
    options.encoding = match args.encoding {
        crate::cli::EncodingArg::Utf8 => isms_io::Encoding::Utf8,
        crate::cli::EncodingArg::Windows1252 => isms_io::Encoding::Windows1252,
    };
    for arg in &args.set {
        options
            .fixed
            .push(isms_io::FixedValue::from_argument(arg).map_err(CliError::Usage)?);
    }
    let mut mappings = Vec::with_capacity(args.mapping.len());
    for m in &args.mapping {
        // Refused by its size before it is read, like every input.
        if let Ok(meta) = std::fs::metadata(m)
            && meta.is_file()
            && meta.len() > isms_io::MAX_MAPPING_FILE_BYTES
        {
            return Err(CliError::InvalidInput {
                file: m.clone(),
                problems: vec![format!(
                    "the mapping file has {} bytes; a mapping file may have at most {} \
                     (one line per header); nothing was read",
                    meta.len(),
                    isms_io::MAX_MAPPING_FILE_BYTES
                )],
            });
        }
        let bytes = read_bounded(m, isms_io::MAX_MAPPING_FILE_BYTES)?;
        let text = String::from_utf8(bytes).map_err(|e| CliError::InvalidInput {
            file: m.clone(),
            problems: vec![format!("the mapping file is not UTF-8 text: {e}")],
        })?;
        mappings.push(
            isms_io::MappingFile::parse(&m.display().to_string(), &text)
                .map_err(|e| invalid(vec![e.to_string()]))?,
        );
    }
    match mappings.len() {
        0 => {}
        1 => options.mapping = mappings.remove(0),
        n if n == contents.len() => {
            options.input_mappings = mappings.into_iter().map(Some).collect();
        }
        n => {
            return Err(CliError::Usage(format!(
                "{n} --mapping files for {} input files: give one for all files, or one per file \
                 (the n-th for the n-th file)",
                contents.len()
            )));
        }
    }
    // A CSV export's provenance file is read as provenance, not as rows;
    // an XLSX export's provenance sheet is read beside its data sheets.
    let mut fields = Vec::new();
    let mut inputs: Vec<isms_io::Input<'_>> = Vec::with_capacity(contents.len());
    let mut companions = Vec::new();
    for (i, c) in contents.iter().enumerate() {
        if i >= args.files.len() {
            // A preset's companion file (--with): rows, never provenance.
            companions.push(inputs.len());
            inputs.push(isms_io::Input {
                name: &c.0,
                bytes: &c.2,
            });
            continue;
        }
        let found =
            isms_io::read_provenance(&c.0, &c.2).map_err(|e| invalid(vec![e.to_string()]))?;
        let is_xlsx = c.2.starts_with(b"PK\x03\x04");
        if let Some(found) = found {
            fields.extend(found);
            if !is_xlsx {
                continue;
            }
        }
        inputs.push(isms_io::Input {
            name: &c.0,
            bytes: &c.2,
        });
    }
    if let Some(from) = &args.from {
        let preset = load_preset(from)?;
        if preset.companion.is_none() && !companions.is_empty() {
            return Err(CliError::Usage(format!(
                "--with: the preset {} reads no companion file",
                preset.name
            )));
        }
        preset.apply(&mut options, inputs.len(), &companions);
    }
    let provenance = formats::provenance_of(&fields).map_err(|e| invalid(vec![e.to_string()]))?;
    if inputs.is_empty() {
        return Err(CliError::Usage(format!(
            "{joined}: only a provenance file; give the nonconformities and actions files of the export with it"
        )));
    }
    say_provenance(provenance.as_ref());
    // The write lock from the fold to the append: the plan is decided on
    // the register the previous writer left.
    let _lock = s.lock()?;
    // A register that does not exist yet is created only for a plan that
    // will be appended: a refused import or a dry run leaves no file.
    let store = match s.target()? {
        Target::File(path) if path.exists() => {
            Some(Store::Sqlite(SqliteStore::open_or_create(&path)?))
        }
        Target::File(_) => None,
        Target::Postgres { .. } => Some(s.open()?),
    };
    let register = match &store {
        Some(st) => st.fold(Selection::All)?,
        None => isms_core::Register::new(),
    };
    let mut progress = |p: isms_io::Progress| {
        eprintln!("{:?}: {}/{}", p.stage, p.done, p.total);
    };
    let mut replayer =
        isms_core::replay::Replayer::new(&options.policy, u128::from(options.entropy) << 64)
            .with_check(formats::import_check(s.catalog()));
    let plan =
        isms_io::plan_import_with(&register, &inputs, &options, &mut replayer, &mut progress)
            .map_err(|e| match e {
                isms_io::ImportError::Problems(problems) => {
                    invalid(problems.iter().map(ToString::to_string).collect())
                }
                // A bad --set is a bad argument; a bad `:=` line, bad input.
                isms_io::ImportError::Fixed {
                    fixed:
                        isms_io::FixedValue {
                            origin: isms_io::FixedOrigin::Argument,
                            ..
                        },
                    ..
                } => CliError::Usage(e.to_string()),
                other => invalid(vec![other.to_string()]),
            })?;
    let json = args.json.json;
    if !json {
        // Headers and references come from the file: shown terminal-safe.
        println!(
            "mapping:\n{}",
            output::terminal_safe_lines(&plan.mapping.to_string())
        );
        print!("plan: {}", output::terminal_safe_lines(&plan.to_string()));
    }
    if args.dry_run {
        if json {
            output::print_json(&import_json(&plan, false))?;
        } else {
            println!("dry run: nothing written");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let mut store = match store {
        Some(st) => st,
        None => Store::Sqlite(SqliteStore::open_or_create(&s.db)?),
    };
    plan.append_to(&mut store)?;
    s.seal(&mut store)?;
    if json {
        output::print_json(&import_json(&plan, true))?;
    } else {
        println!(
            "imported {} nonconformities created, {} updated ({} events) into {}",
            plan.created(),
            plan.updated(),
            plan.batch.len(),
            s.db_shown()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// A shipped preset by name, or a preset file.
fn load_preset(from: &str) -> Result<isms_io::Preset, CliError> {
    if let Some(p) = isms_io::Preset::shipped(from) {
        return Ok(p);
    }
    let path = Path::new(from);
    if !path.exists() {
        return Err(CliError::Usage(format!(
            "--from {from:?}: neither a shipped preset ({}) nor a file",
            isms_io::SHIPPED_PRESETS
                .iter()
                .map(|(n, _)| *n)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let bytes = read_bounded(path, isms_io::MAX_MAPPING_FILE_BYTES)?;
    let text = String::from_utf8(bytes).map_err(|e| CliError::InvalidInput {
        file: path.to_owned(),
        problems: vec![format!("the preset is not UTF-8 text: {e}")],
    })?;
    isms_io::Preset::parse(from, &text).map_err(|e| CliError::InvalidInput {
        file: path.to_owned(),
        problems: vec![e.to_string()],
    })
}

/// `isms import --json`: the plan, and per row what was not recorded.
fn import_json(plan: &isms_io::ImportPlan, written: bool) -> serde_json::Value {
    let place = |l: &isms_io::Location| {
        serde_json::json!({
            "file": l.file,
            "sheet": l.sheet,
            "row": l.row,
            "column": l.column.as_ref().filter(|c| c.0 > 0).map(|c| isms_io::column_letters(c.0)),
            "header": l.column.as_ref().map(|c| c.1.clone()),
        })
    };
    let gap = |n: &isms_io::NotRecorded| {
        serde_json::json!({
            "at": place(&n.location),
            "step": n.step,
            "column": n.column.key(),
            "why": n.why,
        })
    };
    serde_json::json!({
        "written": written,
        "created": plan.created(),
        "updated": plan.updated(),
        "events": plan.batch.len(),
        "items": plan.items.iter().map(|i| serde_json::json!({
            "reference": i.reference.to_string(),
            "file_reference": i.file_reference,
            "created": i.created,
            "state": plan.register.nonconformity_by_ref(i.reference).map(|n| n.state),
            "commands": i.commands,
            "not_recorded": i.not_recorded.iter().map(gap).collect::<Vec<_>>(),
            "assumed": i.assumed,
        })).collect::<Vec<_>>(),
        "skipped": plan.skipped.iter().map(gap).collect::<Vec<_>>(),
        "notes": plan.notes,
    })
}

/// Says on stderr where an imported document says it came from, and warns
/// when it was exported from a register whose chain did not verify.
fn say_provenance(provenance: Option<&isms_schema::Provenance>) {
    let Some(p) = provenance else {
        return;
    };
    let checkpoint = p.checkpoint.as_ref().map_or_else(
        || ", no signed checkpoint".to_owned(),
        |c| {
            format!(
                ", checkpoint of position {} signed {} by key {}",
                c.position, c.at, c.key_id
            )
        },
    );
    eprintln!(
        "the document was exported {} from chain head {} at position {}{checkpoint}",
        p.exported_at, p.head_hash, p.head_position
    );
    if !p.verified {
        eprintln!(
            "isms: WARNING: the document was exported UNVERIFIED (--allow-unverified): the register it came from did not verify ({}); it may hold data changed outside isms",
            output::terminal_safe(p.problem.as_deref().unwrap_or("no reason recorded"))
        );
    }
}

/// Writes `bytes` to `out`, or to stdout.
fn write_out(out: Option<&Path>, bytes: &[u8]) -> Result<(), CliError> {
    let path = out.unwrap_or(Path::new("-"));
    outputs::write_output(path, bytes)?;
    if !outputs::is_stdout(path) {
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn import(s: &Session, file: &Path) -> Result<ExitCode, CliError> {
    let bytes = read_input(file)?;
    let format = ImportFormat::detect(file, &bytes)?;
    let formats::Loaded {
        events,
        register,
        notes,
        provenance,
    } = formats::import(format, file, &bytes, &s.policy()?, s.catalog())?;
    say_provenance(provenance.as_ref());
    let _lock = s.lock()?;
    let mut store = open_empty(s, "import")?;
    // One batch: the whole document is stored or nothing is.
    let mut batch = isms_store::AppendBatch::default();
    let mut index = std::collections::HashMap::new();
    for e in events {
        let i = *index.entry(e.stream).or_insert_with(|| {
            batch.appends.push(isms_store::StreamAppend {
                stream: e.stream,
                expected: isms_store::ExpectedVersion::NoStream,
                events: Vec::new(),
            });
            batch.appends.len() - 1
        });
        batch.appends[i].events.push(e);
    }
    let n = batch.len();
    if n > 0 {
        store.append(&batch)?;
    }
    s.seal(&mut store)?;
    println!(
        "imported {} nonconformities, {} improvements ({n} events) into {}",
        register.nonconformities().len(),
        register.improvements().len(),
        s.db_shown()
    );
    if !notes.is_empty() {
        eprintln!("not imported as it stands ({}):", notes.len());
        for note in &notes {
            eprintln!("  {}", output::terminal_safe_lines(note));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `--evidence` values as evidence records, files fingerprinted by the
/// session's clock and, with `--keep-evidence`, copied beside the register.
pub(crate) fn evidence(
    s: &Session,
    list: Vec<String>,
    keep: bool,
) -> Result<Vec<EvidenceRef>, CliError> {
    let folder = match (keep, s.target()?) {
        (false, _) => None,
        (true, Target::File(db)) => Some(crate::evidence::folder_of(&db)),
        (true, Target::Postgres { .. }) => {
            return Err(CliError::Usage(
                "--keep-evidence: a register on PostgreSQL has no folder beside it for kept copies; \
                 keep the files in your document store and attach them without --keep-evidence"
                    .into(),
            ));
        }
    };
    crate::evidence::attach(list, s.now, folder.as_deref())
}

pub(crate) fn actor_or(s: &Session, name: Option<String>) -> Result<isms_core::ActorId, CliError> {
    match name {
        Some(n) => isms_core::ActorId::new(n).map_err(|e| CliError::Usage(e.to_string())),
        None => s.actor(),
    }
}

fn nc(s: &Session, c: NcCommand) -> Result<ExitCode, CliError> {
    match c {
        NcCommand::List {
            state,
            severity,
            filter,
            json,
        } => {
            let store = s.open_read()?;
            let mut wanted = item_filter(s, ItemKind::Nonconformity, &filter)?;
            wanted.nc_state = state
                .as_deref()
                .map(|t| enum_value::<NcState>("--state", t))
                .transpose()?;
            wanted.severity = severity
                .as_deref()
                .map(|t| enum_value("--severity", t))
                .transpose()?;
            let listed = list(&store, &wanted)?;
            let items: Vec<&isms_core::Nonconformity> = listed
                .iter()
                .filter_map(|i| match i {
                    isms_core::Item::Nonconformity(nc) => Some(nc),
                    isms_core::Item::Improvement(_) => None,
                })
                .collect();
            if json.json {
                print_json(&items)?;
            } else {
                print!("{}", output::nc_rows(&items));
            }
            return Ok(ExitCode::SUCCESS);
        }
        NcCommand::Show {
            target,
            history,
            json,
        } => {
            let store = s.open_read()?;
            let id = session::resolve_nc(&store, &target.item)?;
            let events = session::item_events(s, &store, StreamId::Nonconformity(id))?;
            let item = &isms_core::Item::from_events(&events)
                .and_then(|i| match i {
                    isms_core::Item::Nonconformity(nc) => Some(nc),
                    isms_core::Item::Improvement(_) => None,
                })
                .ok_or_else(|| CliError::Other(format!("{id}: its stream has no report")))?;
            match (json.json, history) {
                (true, false) => print_json(item)?,
                (true, true) => print_json(&serde_json::json!({
                    "nonconformity": item,
                    "events": events,
                }))?,
                (false, h) => {
                    print!("{}", output::nc_detail(item));
                    let reference = |id| {
                        session::load_nonconformity(&store, id)
                            .map_or_else(|_| id.to_string(), |n| n.reference.to_string())
                    };
                    print!("{}", output::nc_links(item, &reference));
                    if h {
                        println!();
                        print!("{}", output::history(&events));
                    }
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }

    let mut w = s.writer()?;
    let (command, at, id) = hiargs::nc_command(s, w.handler.store(), c)?;
    let kind = command.target();
    if !half_linked(w.handler.store(), &command)? {
        s.execute(&mut w, command, at.as_deref())?;
    }
    let item = &session::load_nonconformity(w.handler.store(), id)?;
    if let (
        isms_core::CommandTarget::Nonconformity(_, isms_core::NcCommandKind::LinkRecurrence),
        Some(earlier),
    ) = (kind, item.recurrence_of)
    {
        // The other side of the link: recorded on the earlier item while it
        // is open, where it ends a verification under way as ineffective.
        let before = session::load_nonconformity(w.handler.store(), earlier)?;
        if !before.state.is_terminal() {
            let other = isms_core::Command::RecordRecurrence {
                nonconformity: earlier,
                recurrence: id,
            };
            s.execute(&mut w, other, at.as_deref())?;
            let after = session::load_nonconformity(w.handler.store(), earlier)?;
            let concluded = if after.state != before.state {
                format!(
                    "; verification concluded ineffective, back to root-cause analysis (state {})",
                    name_of(&after.state)
                )
            } else {
                format!(" (state {})", name_of(&after.state))
            };
            println!(
                "{}: recurrence {} recorded{concluded}",
                after.reference, item.reference
            );
        }
    }
    let detail = match kind {
        isms_core::CommandTarget::Nonconformity(_, isms_core::NcCommandKind::PlanAction) => item
            .actions
            .last()
            .map(|a| format!(", action {} due {}", a.reference, a.due))
            .unwrap_or_default(),
        _ => String::new(),
    };
    println!(
        "{}: {} (state {}{detail})",
        item.reference,
        done_text(kind),
        name_of(&item.state)
    );
    Ok(ExitCode::SUCCESS)
}

fn done_text(kind: isms_core::CommandTarget) -> String {
    match kind {
        isms_core::CommandTarget::Nonconformity(_, k) => format!("{k} recorded"),
        isms_core::CommandTarget::Improvement(_, k) => format!("{k} recorded"),
    }
}

fn improvement(s: &Session, c: ImprovementCommand) -> Result<ExitCode, CliError> {
    match c {
        ImprovementCommand::List {
            state,
            filter,
            json,
        } => {
            let store = s.open_read()?;
            let mut wanted = item_filter(s, ItemKind::Improvement, &filter)?;
            wanted.improvement_state = state
                .as_deref()
                .map(|t| enum_value("--state", t))
                .transpose()?;
            let items: Vec<isms_core::Improvement> = list(&store, &wanted)?
                .into_iter()
                .filter_map(|i| match i {
                    isms_core::Item::Improvement(imp) => Some(imp),
                    isms_core::Item::Nonconformity(_) => None,
                })
                .collect();
            if json.json {
                print_json(&items)?;
            } else {
                print!("{}", output::improvement_rows(&items));
            }
            return Ok(ExitCode::SUCCESS);
        }
        ImprovementCommand::Show {
            target,
            history,
            json,
        } => {
            let store = s.open_read()?;
            let id = session::resolve_improvement(&store, &target.item)?;
            let events = session::item_events(s, &store, StreamId::Improvement(id))?;
            let item = &isms_core::Item::from_events(&events)
                .and_then(|i| match i {
                    isms_core::Item::Improvement(imp) => Some(imp),
                    isms_core::Item::Nonconformity(_) => None,
                })
                .ok_or_else(|| CliError::Other(format!("{id}: its stream has no proposal")))?;
            match (json.json, history) {
                (true, false) => print_json(item)?,
                (true, true) => print_json(&serde_json::json!({
                    "improvement": item,
                    "events": events,
                }))?,
                (false, h) => {
                    print!("{}", output::improvement_detail(item));
                    if h {
                        println!();
                        print!("{}", output::history(&events));
                    }
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let mut w = s.writer()?;
    let (command, at, id) = hiargs::improvement_command(s, w.handler.store(), c)?;
    let kind = command.target();
    s.execute(&mut w, command, at.as_deref())?;
    let item = &session::load_improvement(w.handler.store(), id)?;
    println!(
        "{}: {} (state {})",
        item.reference,
        done_text(kind),
        name_of(&item.state)
    );
    Ok(ExitCode::SUCCESS)
}

fn resolve_error(e: isms_catalog::ResolveError) -> CliError {
    CliError::Catalog(e)
}

fn catalog(c: CatalogCommand, catalog: &Catalog, now: DateTime<Utc>) -> Result<ExitCode, CliError> {
    match c {
        CatalogCommand::Frameworks(json) => {
            let list: Vec<serde_json::Value> = catalog
                .frameworks()
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "id": f.id.to_string(),
                        "name": f.name,
                        "version": f.version,
                        "publisher": f.publisher,
                        "licence": f.licence,
                        "items": f.items.len(),
                    })
                })
                .collect();
            if json.json {
                print_json(&list)?;
            } else {
                let rows: Vec<Vec<String>> = catalog
                    .frameworks()
                    .iter()
                    .map(|f| {
                        vec![
                            f.id.to_string(),
                            f.items.len().to_string(),
                            f.version.clone(),
                            f.name.clone(),
                        ]
                    })
                    .collect();
                print!(
                    "{}",
                    output::table(&["framework", "items", "version", "name"], &rows)
                );
            }
        }
        CatalogCommand::List { framework, json } => {
            let f = catalog.framework(&framework).map_err(resolve_error)?;
            if json.json {
                print_json(f)?;
            } else {
                let rows: Vec<Vec<String>> = f
                    .items
                    .iter()
                    .map(|i| {
                        vec![
                            i.id.to_string(),
                            name_of(&i.kind),
                            i.title.clone().unwrap_or_default(),
                        ]
                    })
                    .collect();
                print!("{}", output::table(&["item", "kind", "title"], &rows));
            }
        }
        CatalogCommand::Show { reference, json } => {
            let r = catalog.resolve(&reference).map_err(resolve_error)?;
            if json.json {
                print_json(r.item())?;
            } else {
                println!("{}  {}", r.reference(), r.title().unwrap_or("(no title)"));
                println!("  framework: {}", r.framework().name);
                println!("  kind:      {}", name_of(&r.item().kind));
                if let Some(p) = r.parent() {
                    println!("  parent:    {}", p.reference());
                }
                let children = r.children();
                if !children.is_empty() {
                    let c: Vec<String> =
                        children.iter().map(|c| c.reference().to_string()).collect();
                    println!("  children:  {}", c.join(", "));
                }
                println!("  mappings:  {}", r.all_mappings().len());
                // Context, not mappings: no query walks these.
                for related in r.related() {
                    println!("  related:   {}  ({})", related.item, related.note);
                }
                for annotation in r.related_by() {
                    println!("  named in:  {} ({})", annotation.subject, annotation.label);
                }
            }
        }
        CatalogCommand::Export {
            format,
            framework,
            out,
        } => {
            let bytes = formats::export_catalog(format, framework.as_deref(), now)?;
            write_out(out.as_deref(), &bytes)?;
        }
        CatalogCommand::Map {
            reference,
            to,
            transitive,
            json,
        } => {
            let r = catalog.resolve(&reference).map_err(resolve_error)?;
            if transitive {
                let paths = r
                    .transitive_to(&to, &TransitiveOptions::default())
                    .map_err(resolve_error)?;
                if json.json {
                    print_json(&paths)?;
                } else {
                    let rows: Vec<Vec<String>> = paths
                        .iter()
                        .map(|p| {
                            let via: Vec<String> =
                                p.pivots().iter().map(ToString::to_string).collect();
                            vec![
                                p.target.to_string(),
                                name_of(&p.relationship),
                                name_of(&p.certainty),
                                if via.is_empty() {
                                    "direct".into()
                                } else {
                                    via.join(" > ")
                                },
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        output::table(&["target", "relationship", "certainty", "via"], &rows)
                    );
                }
            } else {
                let mappings = r.mappings_to(&to).map_err(resolve_error)?;
                if json.json {
                    print_json(&mappings)?;
                } else {
                    let rows: Vec<Vec<String>> = mappings
                        .iter()
                        .map(|m| {
                            vec![
                                m.target.to_string(),
                                name_of(&m.relationship),
                                name_of(&m.rationale),
                                m.provenance.source.clone(),
                            ]
                        })
                        .collect();
                    print!(
                        "{}",
                        output::table(&["target", "relationship", "rationale", "source"], &rows)
                    );
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
