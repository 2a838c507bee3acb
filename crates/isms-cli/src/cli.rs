//! The command line, as clap derives it. `docs/cli.md`, the completions
//! and the man page are all rendered from these definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::formats::{CatalogExportFormat, ExportFormat};

/// Keep an ISO/IEC 27001:2022 clause 10 register (nonconformities,
/// corrective actions, effectiveness checks, improvements) in one SQLite
/// file, and report on it.
#[derive(Debug, Parser)]
#[command(
    name = "isms",
    version,
    after_help = "The database is --db PATH, else $ISMS_DB, else ./isms.db; a URL \
postgres://USER@HOST/DATABASE?register=NAME works in one register of a PostgreSQL database instead \
(`isms init` creates it); TLS as in libpq: add &sslmode=verify-full&sslrootcert=CA.pem (also \
disable, prefer (the default), require, verify-ca). The actor is --as NAME, \
else $ISMS_ACTOR, else the user name of the operating system.\n\
Writers wait for another writer's lock at most $ISMS_LOCK_TIMEOUT seconds (default 30).\n\
With a signing key (--signing-key or $ISMS_SIGNING_KEY, made by `isms key init`), every write \
records a checkpoint signed with it. Every reading command first checks the chain from the \
latest checkpoint to the head and refuses a broken one (exit 6) unless --allow-unverified.\n\
Exit codes: 0 done, 1 other error, 2 usage, 3 refused by a rule, 4 not found, \
5 store or file problem, 6 tampering detected, 7 invalid input file."
)]
pub struct Cli {
    /// The register database: a SQLite file (default ./isms.db), or
    /// postgres://USER@HOST/DATABASE?register=NAME.
    #[arg(
        long,
        global = true,
        env = "ISMS_DB",
        hide_env_values = true,
        value_name = "PATH"
    )]
    pub db: Option<PathBuf>,
    /// Who is acting (default $ISMS_ACTOR, else the OS user name).
    #[arg(long = "as", global = true, env = "ISMS_ACTOR", value_name = "ACTOR")]
    pub actor: Option<String>,
    /// The Ed25519 key that signs a checkpoint after every write, kept
    /// outside the database (`isms key init` makes one). Its public half is
    /// also trusted when checking checkpoints.
    #[arg(long, global = true, env = "ISMS_SIGNING_KEY", value_name = "PATH")]
    pub signing_key: Option<PathBuf>,
    /// A public key (64 hex digits, from `isms key show`) whose checkpoints
    /// are trusted; a checkpoint signed by another key is reported.
    #[arg(long, global = true, env = "ISMS_PUBLIC_KEY", value_name = "HEX")]
    pub public_key: Option<String>,
    /// Read even when the chain does not verify, for forensics: the output
    /// is marked unverified (a banner on stderr; `--json` output wrapped as
    /// {"unverified": {"problem": ...}, "output": ...}; a banner atop the
    /// report; `"verified": false` in an export's provenance).
    #[arg(long, global = true)]
    pub allow_unverified: bool,
    /// A framework of your own (the JSON form of a catalogue framework, see
    /// docs/catalog.md), added to the shipped catalogue: requirement
    /// references to it are accepted in arguments and imports, and the
    /// catalog commands show it. Repeatable; $ISMS_USER_FRAMEWORKS takes
    /// a comma-separated list.
    #[arg(
        long = "user-framework",
        global = true,
        env = "ISMS_USER_FRAMEWORKS",
        value_delimiter = ',',
        value_name = "PATH"
    )]
    pub user_frameworks: Vec<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create an empty register database.
    Init,
    /// Build a demo register (the seed's three scenarios after about two
    /// years of generated history), print the KPI dashboard and write the
    /// management-review report next to the database.
    Demo(DemoArgs),
    /// Fill an empty register with a synthetic one of realistic shape.
    ///
    /// A file that does not exist yet is built under a temporary name beside
    /// it (FILE.loading-PID) in one pass and appears only when complete; a
    /// temporary file that an interrupted run left is removed by the next
    /// run into the same file. An existing empty register (or a PostgreSQL
    /// database) is filled by ordinary appends.
    Generate(GenerateArgs),
    /// Nonconformities and their corrective actions (10.2).
    #[command(subcommand)]
    Nc(NcCommand),
    /// Improvement opportunities (10.1).
    #[command(subcommand)]
    Improvement(ImprovementCommand),
    /// The KPI dashboard with red/amber/green against the targets.
    Kpi(KpiArgs),
    /// What is due, soonest first: open corrective actions, pending
    /// effectiveness checks, improvements' target dates, regulatory
    /// reports not yet sent (NIS2 Article 23 clocks) and reviews of accepted
    /// residual risks (from the acceptor), as a table, JSON, or
    /// an iCalendar file a calendar can import again and again (each entry
    /// keeps its UID).
    Due(DueArgs),
    /// Frameworks, their items and the crosswalks between them.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Write the JSON Schema bundle (one file per document kind).
    Schema(SchemaArgs),
    /// Write the whole register as a document.
    Export(ExportArgs),
    /// Load a register document into an empty database (all or nothing).
    Import(ImportArgs),
    /// Check the whole register: SQLite's integrity (for a file), the hash
    /// chain, that every event decodes, the reference index, every
    /// checkpoint's signature, and that every kept evidence copy hashes to
    /// its record; exit 0 only if all hold, 6 naming what is wrong.
    Verify(VerifyArgs),
    /// The policy in force (segregation of duties, containment, approvers,
    /// time limits, time zone, who holds which role), kept in the register
    /// as events: the policy at any past instant is evidence, and every
    /// command is decided under the policy in force at its time.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Audits and management reviews (9.2, 9.3), the named sources that
    /// nonconformities and improvements point to (`--audit ID`).
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Signing keys for checkpoints.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Export the latest signed checkpoint (signing the head first when a
    /// signing key is given and the head has none), to keep elsewhere and
    /// check later with `isms verify --against FILE`.
    Checkpoint(CheckpointArgs),
    /// Build the projections (item states for lists, KPI facts) again from
    /// the event log, after `verify --deep` found them differing.
    Rebuild,
    /// Copy the database to a verified backup file (online, consistent). On
    /// PostgreSQL, says how: pg_dump, or a register document (`export`).
    Backup(BackupArgs),
    /// Replace the database with a verified backup. On PostgreSQL, says
    /// how: pg_restore, or `import` of a register document.
    Restore(RestoreArgs),
    /// Write the management-review report (HTML or Markdown by extension).
    Report(ReportArgs),
    /// Print a shell completion script.
    Completions(CompletionsArgs),
    /// Print the man page (roff).
    Man,
    /// Print the command reference (`docs/cli.md`) rendered from this
    /// command line.
    #[command(hide = true)]
    CliReference,
}

/// `--json` for reading commands.
#[derive(Debug, Args)]
pub struct JsonFlag {
    /// Print JSON on stdout (see docs/cli.md for the schema) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `isms verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Also check that every projection (item states, KPI facts) equals a
    /// fresh fold of the log; reads and folds the whole log.
    #[arg(long)]
    pub deep: bool,
    /// A checkpoint exported earlier with `isms checkpoint --out` and kept
    /// elsewhere: the chain must still hold its hash at its position. Its
    /// public key is trusted unless --public-key names another.
    #[arg(long, value_name = "FILE")]
    pub against: Option<PathBuf>,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// `isms key`.
#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Make a new Ed25519 signing key and write it, readable by its owner
    /// only (0600); never replaces a file.
    Init(KeyInitArgs),
    /// Print the public key and key id of the signing key, for verifiers.
    Show,
}

/// `isms policy`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print the policy in force now (or at --at), every setting, and when,
    /// by whom and why it was adopted; the default policy when the register
    /// has adopted none.
    Show(PolicyShowArgs),
    /// Adopt the policy in FILE, in force from --at (default now) until the
    /// next adoption. FILE is TOML (.toml) or JSON (.json), with the keys of
    /// the bundle's `policy` schema; a key left out takes its default, an
    /// unknown key is refused (exit 7). Refused (exit 3) when the policy in
    /// force names a policy_approver_role the actor does not hold, or the new
    /// policy has a time limit over 3650 days or requires a role its roles
    /// table gives to nobody.
    #[command(after_long_help = POLICY_FILE_EXAMPLE)]
    Set(PolicySetArgs),
}

/// `isms audit`.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Record an audit or management review under its id, once.
    Add(AuditAddArgs),
    /// List the audits and reviews recorded.
    List {
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Show one audit or review and its findings (nonconformities and
    /// improvements naming it) with their states.
    Show {
        /// The audit's id.
        #[arg(value_name = "ID")]
        id: String,
        #[command(flatten)]
        json: JsonFlag,
    },
}

/// `isms audit add`.
#[derive(Debug, Args)]
pub struct AuditAddArgs {
    /// Its id, unique in the register: 1 to 40 ASCII letters, digits, '-',
    /// '_', '.' or '/' (e.g. IA-2026-1, MR-2026-Q2).
    #[arg(value_name = "ID")]
    pub id: String,
    /// What it was.
    #[arg(long, value_parser = ["internal_audit", "external_audit", "management_review", "other"])]
    pub kind: String,
    /// What it covered.
    #[arg(long)]
    pub scope: String,
    /// When it took place (YYYY-MM-DD, its first day).
    #[arg(long, value_name = "DATE")]
    pub date: String,
    /// Who led it (default: the actor).
    #[arg(long)]
    pub lead: Option<String>,
    #[command(flatten)]
    pub when: When,
}

/// The example policy file in `isms policy set --help`.
const POLICY_FILE_EXAMPLE: &str = "\
Example policy file (TOML):

  containment_required_for = [\"major\", \"minor\"]
  closure_approver_role = \"approver\"
  policy_approver_role = \"ciso\"
  max_days_to_contain = { days = 2, enforcement = \"warn\" }
  max_backdating = { days = 7, enforcement = \"refuse\" }
  time_zone = \"Europe/Berlin\"

  [roles]   # who holds which role; each event records the actor's roles
  approver = [\"maria\"]
  ciso = [\"maria\", \"omar\"]";

/// `isms policy show`.
#[derive(Debug, Args)]
pub struct PolicyShowArgs {
    /// The instant whose policy to show (RFC 3339 or YYYY-MM-DD), default now.
    #[arg(long, value_name = "TIMESTAMP")]
    pub at: Option<String>,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// `isms policy set`.
#[derive(Debug, Args)]
pub struct PolicySetArgs {
    /// The policy file: TOML or JSON.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Why it is adopted (a management decision, a review), kept with it.
    #[arg(long)]
    pub reason: Option<String>,
    #[command(flatten)]
    pub when: When,
}

/// `isms key init`.
#[derive(Debug, Args)]
pub struct KeyInitArgs {
    /// Where to write the key (default: --signing-key / $ISMS_SIGNING_KEY).
    #[arg(long, value_name = "PATH")]
    pub out: Option<PathBuf>,
}

/// `isms checkpoint`.
#[derive(Debug, Args)]
pub struct CheckpointArgs {
    /// The file to write (JSON); `-` for standard output.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Filters shared by `nc list` and `improvement list`.
#[derive(Debug, Args)]
pub struct ListFilter {
    /// Only those owned by this actor.
    #[arg(long, value_name = "ACTOR")]
    pub owner: Option<String>,
    /// Only those with something overdue (an open action or a pending
    /// check dated before today, the organisation's date in the policy's
    /// time zone).
    #[arg(long, conflicts_with = "due_within")]
    pub overdue: bool,
    /// Only those with something due within this many days from today,
    /// overdue ones included: 7d, 2w or 1m (30 days).
    #[arg(long, value_name = "DURATION")]
    pub due_within: Option<String>,
}

/// `isms due`.
#[derive(Debug, Args)]
pub struct DueArgs {
    /// Only what falls due within this long from now, overdue included:
    /// 7d, 2w or 1m (30 days).
    #[arg(long, value_name = "DURATION")]
    pub within: Option<String>,
    /// Only what is due from this actor: an action's owner, a check's
    /// verifier, an improvement's owner, a nonconformity's owner for its
    /// reports.
    #[arg(long, value_name = "ACTOR")]
    pub owner: Option<String>,
    /// Only what is overdue (a date-only deadline passes at the end of its
    /// day in the policy's time zone; a report's at its exact instant).
    #[arg(long, conflicts_with = "within")]
    pub overdue: bool,
    #[command(flatten)]
    pub json: JsonFlag,
    /// Also write the list as an iCalendar file (RFC 5545), one event per
    /// entry, to import into a calendar; `-` for standard output instead
    /// of the table.
    #[arg(long, value_name = "FILE")]
    pub ical: Option<PathBuf>,
    /// Replace an existing --ical file (without it, an existing regular
    /// file is refused).
    #[arg(long, requires = "ical")]
    pub force: bool,
}

/// `isms demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Generated nonconformities before the three scenarios.
    #[arg(long, default_value_t = 400)]
    pub count: usize,
    /// Replace the database if it exists (only an isms register is replaced).
    #[arg(long)]
    pub force: bool,
}

/// `isms generate`.
#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many nonconformities.
    #[arg(long)]
    pub count: usize,
    /// The seed: the same seed gives the same register.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Days of history, ending now.
    #[arg(long, default_value_t = 1095)]
    pub days: u32,
}

/// An item addressed by human reference or UUID.
#[derive(Debug, Args)]
pub struct Target {
    /// The nonconformity: `NC-0007` or its UUID.
    #[arg(value_name = "NC")]
    pub item: String,
}

/// The time an event is recorded at.
#[derive(Debug, Args)]
pub struct When {
    /// Record at this time (RFC 3339, or YYYY-MM-DD for the start of that
    /// day in the policy's time zone; from 1900-01-01 to 2150-12-31 UTC)
    /// instead of now; refused if it would put the item's history out of
    /// order.
    #[arg(long, value_name = "TIMESTAMP")]
    pub at: Option<String>,
}

/// `isms nc ...`.
#[derive(Debug, Subcommand)]
pub enum NcCommand {
    /// Report a nonconformity.
    Report {
        /// Short title.
        #[arg(long)]
        title: String,
        /// What was found (default: the title).
        #[arg(long)]
        description: Option<String>,
        /// Where it came from.
        #[arg(long, value_parser = crate::parse::SOURCES)]
        source: String,
        /// major or minor.
        #[arg(long, value_parser = ["major", "minor"])]
        severity: String,
        /// A requirement not fulfilled, e.g. iso27001:2022/A.8.13 (repeatable).
        #[arg(long = "requirement", value_name = "REF")]
        requirements: Vec<String>,
        /// Who owns it (default: the actor).
        #[arg(long)]
        owner: Option<String>,
        /// When it was detected (default: --at or now).
        #[arg(long, value_name = "TIMESTAMP")]
        detected_at: Option<String>,
        /// An external deadline (YYYY-MM-DD), e.g. an authority's.
        #[arg(long, value_name = "DATE")]
        deadline: Option<String>,
        /// The audit or management review that found it (`isms audit add`).
        #[arg(long, value_name = "ID")]
        audit: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// Record the correction and containment (10.2 a).
    Contain {
        #[command(flatten)]
        target: Target,
        /// What was done to control and correct it.
        #[arg(long)]
        action_taken: String,
        /// How its consequences were dealt with.
        #[arg(long)]
        consequences: Option<String>,
        /// Why containment is later than the policy's limit.
        #[arg(long)]
        late_justification: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// Record the root-cause analysis (10.2 b).
    Analyse {
        #[command(flatten)]
        target: Target,
        /// five_whys, ishikawa, fault_tree or other.
        #[arg(long, default_value = "five_whys", value_parser = ["five_whys", "ishikawa", "fault_tree", "other"])]
        method: String,
        /// A root cause as CATEGORY:STATEMENT, category one of people,
        /// process, technology, supplier, governance, environment (repeatable).
        #[arg(long = "cause", value_name = "CATEGORY:STATEMENT", required = true)]
        causes: Vec<String>,
        /// A similar nonconformity (repeatable).
        #[arg(long = "similar", value_name = "NC")]
        similar: Vec<String>,
        /// Notes on the check for similar nonconformities.
        #[arg(long)]
        similar_notes: Option<String>,
        /// Decide that no corrective action is needed, with this justification.
        #[arg(long, value_name = "JUSTIFICATION", requires = "approved_by")]
        no_action: Option<String>,
        /// Who approved --no-action.
        #[arg(long, value_name = "ACTOR")]
        approved_by: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// Plan a corrective action (10.2 c).
    Plan {
        #[command(flatten)]
        target: Target,
        /// What will be done.
        #[arg(long)]
        description: String,
        /// Who does it (default: the actor).
        #[arg(long)]
        owner: Option<String>,
        /// Due date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        due: String,
        /// Why planning is later than the policy's limit.
        #[arg(long)]
        late_justification: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// Mark a corrective action as started.
    Start {
        #[command(flatten)]
        target: Target,
        /// The action, ... or its UUID.
        #[arg(long)]
        action: String,
        #[command(flatten)]
        when: When,
    },
    /// Move a corrective action's due date, with a reason.
    Reschedule {
        #[command(flatten)]
        target: Target,
        /// The action, ... or its UUID.
        #[arg(long)]
        action: String,
        /// The new due date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        due: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        when: When,
    },
    /// Record a corrective action as done.
    Complete {
        #[command(flatten)]
        target: Target,
        /// The action, ... or its UUID.
        #[arg(long)]
        action: String,
        /// Evidence (repeatable): a document reference (a URL, a document id) kept
        /// as text, or a file (`file:PATH`, or a path starting with `/`, `./`, `../`)
        /// recorded with its SHA-256, size, name and the time attached; `ref:TEXT`
        /// forces a reference.
        #[arg(long = "evidence", value_name = "REF|file:PATH")]
        evidence: Vec<String>,
        /// Keep a copy of each evidence file in `<db>.evidence/sha256/`, where
        /// `isms verify` re-hashes it (register files only).
        #[arg(long)]
        keep_evidence: bool,
        #[command(flatten)]
        when: When,
    },
    /// Cancel a corrective action, with a reason.
    Cancel {
        #[command(flatten)]
        target: Target,
        /// The action, ... or its UUID.
        #[arg(long)]
        action: String,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        when: When,
    },
    /// Plan how and when effectiveness is verified (10.2 d).
    VerifyPlan {
        #[command(flatten)]
        target: Target,
        /// How it is checked.
        #[arg(long)]
        method: String,
        /// What counts as effective.
        #[arg(long)]
        criteria: String,
        /// Who checks (default: the actor).
        #[arg(long)]
        verifier: Option<String>,
        /// One check on this date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE", group = "schedule")]
        once: Option<String>,
        /// Recurring checks every PERIOD (e.g. 1m, 2w, 30d) from --first.
        #[arg(long, value_name = "PERIOD", group = "schedule", requires = "first")]
        every: Option<String>,
        /// First recurring check (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        first: Option<String>,
        /// Number of recurring checks.
        #[arg(long, conflicts_with = "until")]
        count: Option<u32>,
        /// Last date of recurring checks (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// A watch window of PERIOD (e.g. 6m) from --start: effective if no recurrence.
        #[arg(long, value_name = "PERIOD", group = "schedule", requires = "start")]
        watch: Option<String>,
        /// Start of the watch window (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        start: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// Record the result of one effectiveness check.
    Verify {
        #[command(flatten)]
        target: Target,
        /// The check's index in the schedule, from 0 (`isms nc show` lists the checks).
        #[arg(long)]
        check: u32,
        /// The check passed.
        #[arg(long, conflicts_with = "failed", required_unless_present = "failed")]
        passed: bool,
        /// The check failed.
        #[arg(long)]
        failed: bool,
        /// Notes.
        #[arg(long)]
        notes: Option<String>,
        /// Evidence (repeatable): a document reference (a URL, a document id) kept
        /// as text, or a file (`file:PATH`, or a path starting with `/`, `./`, `../`)
        /// recorded with its SHA-256, size, name and the time attached; `ref:TEXT`
        /// forces a reference.
        #[arg(long = "evidence", value_name = "REF|file:PATH")]
        evidence: Vec<String>,
        /// Keep a copy of each evidence file in `<db>.evidence/sha256/`, where
        /// `isms verify` re-hashes it (register files only).
        #[arg(long)]
        keep_evidence: bool,
        #[command(flatten)]
        when: When,
    },
    /// Close an effective nonconformity, recording the ISMS changes made (10.2 e).
    Close {
        #[command(flatten)]
        target: Target,
        /// An ISMS change as KIND:DESCRIPTION, kind one of policy, procedure,
        /// control, risk_assessment, statement_of_applicability, training, other (repeatable).
        #[arg(long = "change", value_name = "KIND:DESCRIPTION")]
        changes: Vec<String>,
        /// Closing notes.
        #[arg(long)]
        notes: Option<String>,
        #[command(flatten)]
        risk: RiskAcceptanceArgs,
        #[command(flatten)]
        when: When,
    },
    /// Reject a report: not a nonconformity, or a duplicate of another.
    Reject {
        #[command(flatten)]
        target: Target,
        /// The duplicated nonconformity (otherwise: not a nonconformity).
        #[arg(long = "duplicate-of", value_name = "NC")]
        duplicate_of: Option<String>,
        /// Why.
        #[arg(long)]
        explanation: String,
        #[command(flatten)]
        risk: RiskAcceptanceArgs,
        #[command(flatten)]
        when: When,
    },
    /// Add or remove a nonconformity's links into your product (risk
    /// register entries, incidents, audits, assets, documents) while it is
    /// open: removals, then additions, one recorded event.
    Links {
        #[command(flatten)]
        target: Target,
        /// A link to add, KIND:ID, kind one of incident, audit, risk, asset,
        /// document, other: risk:RISK-0042 (repeatable).
        #[arg(long = "add", value_name = "KIND:ID")]
        add: Vec<String>,
        /// A link to remove, KIND:ID as `nc show` lists it (repeatable).
        #[arg(long = "remove", value_name = "KIND:ID")]
        remove: Vec<String>,
        #[command(flatten)]
        when: When,
    },
    /// Record a scheduled effectiveness check as missed, with the reason,
    /// so that the next check can be recorded (checks go in schedule order).
    MissCheck {
        #[command(flatten)]
        target: Target,
        /// The check's index in the schedule, from 0.
        #[arg(long)]
        check: u32,
        /// Why it was not carried out.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        when: When,
    },
    /// End a recurring verification schedule early (by the verifier, after
    /// at least one passed check, if the policy allows): concludes the
    /// attempt effective and leaves the remaining checks to the audit
    /// programme (9.2).
    EndVerification {
        #[command(flatten)]
        target: Target,
        /// Why the remaining checks are not needed.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        when: When,
    },
    /// Record that a nonconformity recurs an earlier one. The link is
    /// recorded on both: on the earlier one it concludes a verification
    /// under way ineffective at once (back to root-cause analysis). The two
    /// are separate writes; if a run stops between them, running the same
    /// command again records the missing one.
    LinkRecurrence {
        #[command(flatten)]
        target: Target,
        /// The earlier nonconformity.
        #[arg(long = "of", value_name = "NC")]
        of: String,
        #[command(flatten)]
        when: When,
    },
    /// Change a nonconformity's extension fields (your product's own data,
    /// such as a ticket id) while it is open: removals, then settings, one
    /// recorded event. Name each field once.
    Extensions {
        #[command(flatten)]
        target: Target,
        #[command(flatten)]
        change: ExtensionChange,
        #[command(flatten)]
        when: When,
    },
    /// Record, or correct, the regulatory reporting of a nonconformity
    /// raised from an incident: when the organisation became aware, whether
    /// the incident is significant (NIS2 Article 23(3)), the clock regime
    /// (NIS2 Article 23(4) unless --regime) and the reports the authority
    /// requested. A significant incident starts the clocks `isms due`,
    /// `nc show` and the report show. Running it again corrects the
    /// record: what is not given is kept from the record in force, and
    /// requests add to the ones recorded.
    Incident {
        #[command(flatten)]
        target: Target,
        /// When the organisation became aware (RFC 3339, or YYYY-MM-DD for
        /// the start of that day in the policy's time zone); required the
        /// first time.
        #[arg(long, value_name = "TIMESTAMP")]
        aware_at: Option<String>,
        /// The incident is significant: its reporting clocks run.
        #[arg(long, conflicts_with = "not_significant")]
        significant: bool,
        /// The incident is not significant: no report is due.
        #[arg(long)]
        not_significant: bool,
        /// A clock regime of your own (JSON, see docs/reporting-clocks.md),
        /// for example GDPR Article 33 or DORA, instead of NIS2.
        #[arg(long, value_name = "FILE")]
        regime: Option<PathBuf>,
        /// A report the authority asked for, with the deadline it set,
        /// received at --at: KIND=TIMESTAMP, e.g.
        /// intermediate_report=2026-01-20T12:00:00Z (repeatable).
        #[arg(long = "request", value_name = "KIND=TIMESTAMP")]
        requests: Vec<String>,
        #[command(flatten)]
        when: When,
    },
    /// Record a report sent to an authority for an incident whose reporting
    /// is recorded: which report (the regime's kind: early_warning,
    /// incident_notification, intermediate_report or final_report under
    /// NIS2), to whom, when, with its reference.
    ReportSent {
        #[command(flatten)]
        target: Target,
        /// The report kind.
        #[arg(long)]
        kind: String,
        /// To whom (a CSIRT, a competent authority).
        #[arg(long = "to", value_name = "RECIPIENT")]
        recipient: String,
        /// When it was sent (RFC 3339, or YYYY-MM-DD); default --at, else now.
        #[arg(long, value_name = "TIMESTAMP")]
        sent_at: Option<String>,
        /// The reference it carries (the authority's case number, say).
        #[arg(long)]
        reference: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// List nonconformities.
    List {
        /// Only those in this state (e.g. reported, closed).
        #[arg(long)]
        state: Option<String>,
        /// Only those of this severity (major, minor).
        #[arg(long)]
        severity: Option<String>,
        #[command(flatten)]
        filter: ListFilter,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Show one nonconformity.
    Show {
        #[command(flatten)]
        target: Target,
        /// Also show every recorded event.
        #[arg(long)]
        history: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
}

/// A risk acceptance recorded with a closure or rejection (`nc close`,
/// `nc reject`): the actor accepts the residual risk and must hold the
/// policy's `risk_acceptor_role` (else its `closure_approver_role`).
#[derive(Debug, Args)]
pub struct RiskAcceptanceArgs {
    /// Accept this residual risk, in words (needs --review-by).
    #[arg(
        long = "accept-risk",
        value_name = "RESIDUAL_RISK",
        requires = "review_by"
    )]
    pub accept_risk: Option<String>,
    /// When the accepted risk is to be reviewed (YYYY-MM-DD, after today,
    /// at most three years ahead; needs --accept-risk).
    #[arg(long = "review-by", value_name = "DATE", requires = "accept_risk")]
    pub review_by: Option<String>,
}

/// A change of extension fields (`nc extensions`, `improvement extensions`).
#[derive(Debug, Args)]
#[group(id = "fields", required = true, multiple = true)]
pub struct ExtensionChange {
    /// Set a field to a JSON value, NAME=JSON: risk=3, tags='["a","b"]',
    /// ticket='"SEC-41"' (repeatable).
    #[arg(long = "set", value_name = "NAME=JSON", group = "fields")]
    pub set: Vec<String>,
    /// Set a field to text as given, no JSON quoting: ticket=SEC-41 (repeatable).
    #[arg(long = "set-text", value_name = "NAME=TEXT", group = "fields")]
    pub set_text: Vec<String>,
    /// Remove a field (repeatable).
    #[arg(long = "unset", value_name = "NAME", group = "fields")]
    pub unset: Vec<String>,
    /// Changes from a JSON file: an object whose members are set and whose
    /// null members are removed (a JSON Merge Patch, RFC 7396, on the top
    /// level; at most 1 MiB).
    #[arg(long = "from", value_name = "FILE", group = "fields")]
    pub from: Option<PathBuf>,
    /// Your product's JSON Schema of the extension fields (draft 2020-12,
    /// the one given to `isms_schema::bundle_with_extensions`): the fields
    /// as they would be after the change must validate, else nothing is
    /// recorded (exit 2).
    #[arg(long, env = "ISMS_EXTENSIONS_SCHEMA", value_name = "FILE")]
    pub schema: Option<PathBuf>,
}

/// An improvement addressed by human reference or UUID.
#[derive(Debug, Args)]
pub struct ImpTarget {
    /// The improvement: `IMP-0003` or its UUID.
    #[arg(value_name = "IMP")]
    pub item: String,
}

/// `isms improvement ...`.
#[derive(Debug, Subcommand)]
pub enum ImprovementCommand {
    /// Propose an improvement opportunity.
    Propose {
        /// Short title.
        #[arg(long)]
        title: String,
        /// What would change (default: the title).
        #[arg(long)]
        description: Option<String>,
        /// The benefit expected.
        #[arg(long)]
        benefit: String,
        /// high, medium or low.
        #[arg(long, default_value = "medium", value_parser = ["high", "medium", "low"])]
        priority: String,
        /// Where it came from.
        #[arg(long, value_parser = crate::parse::IMPROVEMENT_SOURCES)]
        source: String,
        /// The nonconformity it comes from, if any.
        #[arg(long, value_name = "NC")]
        nc: Option<String>,
        /// Who owns it (default: the actor).
        #[arg(long)]
        owner: Option<String>,
        /// Due date (YYYY-MM-DD).
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
        /// The audit or management review it came from (`isms audit add`).
        #[arg(long, value_name = "ID")]
        audit: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// Approve a proposed improvement.
    Approve {
        #[command(flatten)]
        target: ImpTarget,
        #[command(flatten)]
        when: When,
    },
    /// Start work on an approved improvement.
    Start {
        #[command(flatten)]
        target: ImpTarget,
        #[command(flatten)]
        when: When,
    },
    /// Record an improvement as realised.
    Realise {
        #[command(flatten)]
        target: ImpTarget,
        /// An ISMS change as KIND:DESCRIPTION (repeatable).
        #[arg(long = "change", value_name = "KIND:DESCRIPTION")]
        changes: Vec<String>,
        /// The effect measured.
        #[arg(long)]
        effect: Option<String>,
        #[command(flatten)]
        when: When,
    },
    /// Reject a proposed improvement.
    Reject {
        #[command(flatten)]
        target: ImpTarget,
        /// Why.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        when: When,
    },
    /// Record the measured effect of a realised improvement.
    Effect {
        #[command(flatten)]
        target: ImpTarget,
        /// The effect measured.
        #[arg(long)]
        measured: String,
        #[command(flatten)]
        when: When,
    },
    /// Change an improvement's extension fields while it is open (as
    /// `nc extensions`).
    Extensions {
        #[command(flatten)]
        target: ImpTarget,
        #[command(flatten)]
        change: ExtensionChange,
        #[command(flatten)]
        when: When,
    },
    /// List improvements.
    List {
        /// Only those in this state (e.g. proposed, approved).
        #[arg(long)]
        state: Option<String>,
        #[command(flatten)]
        filter: ListFilter,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// Show one improvement.
    Show {
        #[command(flatten)]
        target: ImpTarget,
        /// Also show every recorded event.
        #[arg(long)]
        history: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
}

/// The period options shared by `kpi` and `report`.
#[derive(Debug, Args)]
pub struct Period {
    /// As of this instant (RFC 3339, or YYYY-MM-DD for the start of that
    /// day in the policy's time zone; default now).
    #[arg(long, value_name = "TIMESTAMP")]
    pub as_of: Option<String>,
    /// The window up to --as-of: 365d, 52w or 12m (months of 30 days); default 365d.
    #[arg(long, value_name = "DURATION", default_value = "365d")]
    pub window: String,
}

/// `isms kpi`.
#[derive(Debug, Args)]
pub struct KpiArgs {
    #[command(flatten)]
    pub period: Period,
    /// Only the findings of this audit or review: the KPIs over the
    /// nonconformities and improvements that name it.
    #[arg(long, value_name = "ID")]
    pub audit: Option<String>,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// `isms catalog ...`.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// The frameworks in the catalogue.
    Frameworks(JsonFlag),
    /// The items of one framework (e.g. iso27001:2022, nis2, cis:v8).
    List {
        /// The framework key.
        framework: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// One item (e.g. iso27001:2022/A.8.13, nis2/21.2.c).
    Show {
        /// The reference.
        reference: String,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// What an item maps to in another framework.
    Map {
        /// The reference.
        reference: String,
        /// The target framework.
        #[arg(long)]
        to: String,
        /// Also follow crosswalks through pivot frameworks.
        #[arg(long)]
        transitive: bool,
        #[command(flatten)]
        json: JsonFlag,
    },
    /// The catalogue as OSCAL: the crosswalks as a mapping-collection, or one
    /// framework as a catalog.
    Export {
        /// The format.
        #[arg(long, value_enum)]
        format: CatalogExportFormat,
        /// The framework: the crosswalks touching it (oscal-mapping), or the
        /// framework to write (oscal-catalog, required).
        #[arg(long)]
        framework: Option<String>,
        /// The file to write, or - for standard output (the default); as
        /// for `isms export --out`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// `isms schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The directory to write into.
    #[arg(long, default_value = "schemas", value_name = "DIR")]
    pub out: PathBuf,
}

/// `isms export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Json)]
    pub format: ExportFormat,
    /// The file to write, or - for standard output (default: standard
    /// output; register.csv or register.xlsx for those formats). An existing
    /// file is replaced whole; a FIFO or character device is written
    /// through; a symbolic link is followed only to one of those (see
    /// "Outputs" in docs/cli.md).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// `isms import`.
#[derive(Debug, Args)]
#[command(after_long_help = import_columns_help())]
pub struct ImportArgs {
    /// The files to load; their format is detected from content and name.
    /// A register document (JSON) or an OSCAL POA&M loads into an empty
    /// database; CSV and XLSX spreadsheets (several files at once, e.g. the
    /// two files of a CSV export) add to or update the register, all or
    /// nothing. Every format becomes the commands that record it, decided
    /// by the same rules as `isms nc` commands (text limits, control and
    /// bidirectional characters, time order, the workflow, segregation of
    /// duties, times within 1900..2150); a document's log must be exactly
    /// what the rules record, references numbered without gaps. A refusal
    /// names its place (`/events/N`, JSON path, or file, row and column)
    /// and exits 7 with nothing written. Size limits, checked before
    /// reading: 64 MiB per file (1 MiB for --mapping).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Spreadsheets: a mapping file for headers the synonyms do not cover
    /// (one `Header = column` line each) and fixed values for columns the
    /// file lacks (`column := value`); see docs/spreadsheets.md. Given once,
    /// it applies to every file; given once per file, the n-th applies to
    /// the n-th file.
    #[arg(long, value_name = "FILE")]
    pub mapping: Vec<PathBuf>,
    /// Spreadsheets: a fixed value for a column the files lack, read on
    /// every row as if its cell held it (`--set source="internal audit"`);
    /// repeatable, one per column. Refused (exit 2) when a cell could not
    /// hold it or a file has that column. Without a Source column and
    /// without a fixed source, new nonconformities get `self identified`.
    #[arg(long = "set", value_name = "COLUMN=VALUE")]
    pub set: Vec<String>,
    /// Spreadsheets: check every row and print the plan, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Spreadsheets: the order of day and month in dates such as 03/04/2026
    /// (without it such dates are refused as ambiguous).
    #[arg(long, value_enum, value_name = "ORDER")]
    pub date_order: Option<DateOrderArg>,
    /// Spreadsheets: the encoding of CSV files.
    #[arg(long, value_enum, default_value_t = EncodingArg::Utf8)]
    pub encoding: EncodingArg,
    /// Spreadsheets: read the files as a known tool exports them: a shipped
    /// preset (`ciso-assistant`, `seed-register`) or a preset file of your
    /// own (TOML, the format in docs/spreadsheets.md). A preset carries the
    /// header map, the words of each vocabulary and the cell rules, and
    /// imports each row up to the furthest step its data supports,
    /// reporting per row what was not recorded and which column would
    /// carry it. --mapping and --set add to it.
    #[arg(long, value_name = "PRESET|FILE")]
    pub from: Option<String>,
    /// Spreadsheets, with --from: the preset's companion file, read beside
    /// the main files (CISO Assistant: the applied-controls export, matched
    /// to the findings' controls by name); repeatable.
    #[arg(long = "with", value_name = "FILE", requires = "from")]
    pub with: Vec<PathBuf>,
    #[command(flatten)]
    pub json: JsonFlag,
}

/// `--date-order`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum DateOrderArg {
    /// Day first: 31/03/2026.
    Dmy,
    /// Month first: 03/31/2026.
    Mdy,
}

/// `--encoding`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum EncodingArg {
    /// UTF-8, with or without a byte-order mark.
    #[value(name = "utf-8")]
    Utf8,
    /// Windows-1252 ("ANSI" on Western-European Windows).
    #[value(name = "windows-1252")]
    Windows1252,
}

/// The spreadsheet columns and their synonyms, for `isms import --help`.
fn import_columns_help() -> String {
    format!(
        "Spreadsheet columns (headers are matched case- and punctuation-insensitively):\n\n{}",
        isms_io::columns_markdown().trim_end()
    )
}

/// `isms backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// The backup file to write; it must not exist (a backup never replaces
    /// a file, nor a symbolic link). A FIFO, a character device or `-`
    /// (standard output; the summary then goes to stderr) receives the
    /// verified copy as a stream. The kept evidence copies the log names
    /// (`--keep-evidence`) go to FILE.evidence, each checked against its
    /// recorded SHA-256 as it is copied; one missing or altered is named
    /// (exit 6, the register's backup itself is written). A stream carries
    /// the register only, and stderr says which folder to keep as well.
    #[arg(long, value_name = "FILE")]
    pub to: PathBuf,
}

/// `isms restore`.
#[derive(Debug, Args)]
#[command(
    after_long_help = "The register is replaced only by a backup that extends its hash chain (the \
backup holds every event the register holds, and more or the same); an older backup or another \
register is refused (exit 2) unless --force. Before it is replaced, a copy of the register is kept \
beside it as <db>.replaced-<UTC time>, and stderr says where. The kept evidence copies the restored \
log names come from <backup>.evidence into <db>.evidence, checked against their recorded SHA-256; \
copies already there stay as they are; one that neither folder holds intact is named (exit 6, the \
register itself is restored).\n\
A register on PostgreSQL is not a file: `isms backup` and `isms restore` refuse it (exit 2) and \
say how instead: pg_dump / pg_restore, or `isms export --format json` and `isms import` into an \
empty register (see docs/scaling.md)."
)]
pub struct RestoreArgs {
    /// The backup to restore from.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Restore even a backup that does not extend the register's chain (an
    /// older backup, or another register): the events it lacks are then
    /// only in the kept copy.
    #[arg(long)]
    pub force: bool,
}

/// `isms report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub period: Period,
    /// Paper size of the print layout.
    #[arg(long, value_enum, default_value_t = PaperArg::A4)]
    pub paper: PaperArg,
    /// The organisation named under the title.
    #[arg(long)]
    pub organisation: Option<String>,
    /// The file to write: .html or .md (an existing file is replaced whole;
    /// as for `isms export --out`).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Paper sizes.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PaperArg {
    /// ISO A4.
    A4,
    /// US Letter.
    Letter,
}

/// `isms completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}
