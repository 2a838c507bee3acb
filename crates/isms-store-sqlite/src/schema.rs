//! The schema and its migrations.

/// `PRAGMA application_id` of an isms event store: "ISMS" in ASCII.
/// A file with another id is not ours and is never touched.
pub const APPLICATION_ID: i32 = 0x4953_4D53;

/// One schema migration: SQL, then optionally a step in Rust that fills
/// new tables from the log (decoding events is the core's business, not
/// SQL's).
pub(crate) struct Migration {
    pub(crate) sql: &'static str,
    pub(crate) backfill: Option<crate::migrate::Backfill>,
}

/// Migrations, in order; the schema version (`PRAGMA user_version`) is the
/// number applied. Never edit a released migration: add a new one.
pub(crate) const MIGRATIONS: &[Migration] = &[
    // 1: the event log, its head, and recorded requests.
    Migration {
        sql: r#"
    -- The log. `position` is the global order (the rowid); `body` is the
    -- event's JSON exactly as hashed; `hash` is the chain hash (32 bytes).
    CREATE TABLE events (
        position INTEGER PRIMARY KEY,
        stream   TEXT    NOT NULL,
        sequence INTEGER NOT NULL CHECK (sequence >= 1),
        body     TEXT    NOT NULL,
        hash     BLOB    NOT NULL CHECK (length(hash) = 32),
        UNIQUE (stream, sequence)
    ) STRICT;

    -- The head as the store last wrote it, updated in every append's
    -- transaction: deleting events at the end shows as a mismatch.
    CREATE TABLE chain_head (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        position INTEGER NOT NULL,
        hash     BLOB    NOT NULL CHECK (length(hash) = 32)
    ) STRICT;
    INSERT INTO chain_head (id, position, hash) VALUES (1, 0, zeroblob(32));

    -- Idempotency: a request id, its command's fingerprint, where its
    -- events went and the warnings of its decision (JSON).
    CREATE TABLE requests (
        request_id     TEXT    PRIMARY KEY,
        fingerprint    BLOB    NOT NULL CHECK (length(fingerprint) = 32),
        first_position INTEGER NOT NULL,
        last_position  INTEGER NOT NULL,
        warnings       TEXT    NOT NULL
    ) STRICT, WITHOUT ROWID;

    -- Append-only, as far as SQL can say it. Someone with the file can drop
    -- these; the hash chain is what makes that evident.
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
    "#,
        backfill: None,
    },
    // 2: human references (NC-0007, IMP-0002) to their streams, so that one
    // item can be read without folding the whole log. Filled from the
    // reporting and proposing events already stored, then kept by a
    // trigger on every stream's first event. A derived index, not evidence:
    // it is not hashed, and dropping it loses nothing the log does not hold.
    Migration {
        sql: r#"
    CREATE TABLE stream_refs (
        reference TEXT NOT NULL PRIMARY KEY,
        stream    TEXT NOT NULL
    ) STRICT, WITHOUT ROWID;

    -- The first stream to take a reference keeps it (the core never
    -- hands one out twice; a log that did is left to `verify` and import).
    INSERT OR IGNORE INTO stream_refs (reference, stream)
    SELECT json_extract(body, '$.payload.reference'), stream
    FROM events
    WHERE sequence = 1
      AND json_valid(body)
      AND json_extract(body, '$.payload.type')
          IN ('nonconformity_reported.v1', 'improvement_proposed.v1')
      AND json_extract(body, '$.payload.reference') IS NOT NULL
    ORDER BY position;

    CREATE TRIGGER events_stream_ref AFTER INSERT ON events
    WHEN NEW.sequence = 1 AND json_valid(NEW.body)
    BEGIN
        -- A reference already taken aborts the append: two writers decided
        -- new items on the same state (the store maps this to
        -- ReferenceTaken, and the command handler decides again).
        INSERT INTO stream_refs (reference, stream)
        SELECT json_extract(NEW.body, '$.payload.reference'), NEW.stream
        WHERE json_extract(NEW.body, '$.payload.type')
              IN ('nonconformity_reported.v1', 'improvement_proposed.v1')
          AND json_extract(NEW.body, '$.payload.reference') IS NOT NULL;
    END;
    "#,
        backfill: None,
    },
    // 3: claims (isms_core::Claim): every register-wide key an event takes,
    // the human references of new items and the ids of new corrective
    // actions, written by the append itself (not by a trigger parsing JSON),
    // so that uniqueness, "find by reference" and "next number" are index
    // look-ups. Replaces version 2's `stream_refs` and its trigger. Filled
    // from the log by decoding every event once.
    Migration {
        sql: r#"
    DROP TRIGGER IF EXISTS events_stream_ref;
    DROP TABLE IF EXISTS stream_refs;
    CREATE TABLE claims (
        claim  TEXT    NOT NULL PRIMARY KEY,  -- NC-0007, IMP-0002, action/<uuid>
        kind   INTEGER NOT NULL,              -- 1 nonconformity, 2 improvement, 3 action
        number INTEGER NOT NULL,              -- the reference's number; 0 for actions
        stream TEXT    NOT NULL
    ) STRICT, WITHOUT ROWID;
    CREATE INDEX claims_by_number ON claims (kind, number);
    "#,
        backfill: Some(crate::migrate::claims),
    },
    // 4: projections, written in each append's transaction (see
    // `projection.rs`): every item's current state with the columns lists
    // filter on, and every item's compact KPI facts in register order.
    // Built from the log by folding each stream once.
    Migration {
        sql: r#"
    CREATE TABLE items (
        stream   TEXT    NOT NULL UNIQUE,
        kind     INTEGER NOT NULL,          -- 1 nonconformity, 2 improvement
        number   INTEGER NOT NULL,          -- the reference's number
        state    TEXT    NOT NULL,
        owner    TEXT    NOT NULL,
        severity TEXT,                      -- nonconformities only
        next_due TEXT,                      -- YYYY-MM-DD: the earliest open action or pending check
        version  INTEGER NOT NULL,          -- events folded in
        position INTEGER NOT NULL,          -- chain position of the last of them
        body     TEXT    NOT NULL           -- the item as JSON
    ) STRICT;
    CREATE UNIQUE INDEX items_by_number ON items (kind, number);
    CREATE INDEX items_by_state ON items (kind, state, number);
    CREATE INDEX items_by_owner ON items (kind, owner, number);
    CREATE INDEX items_by_due ON items (kind, next_due);
    CREATE TABLE kpi_facts (
        kind   INTEGER NOT NULL,
        number INTEGER NOT NULL,
        facts  BLOB    NOT NULL,            -- isms_core::facts encoding
        PRIMARY KEY (kind, number)
    ) STRICT, WITHOUT ROWID;
    "#,
        backfill: Some(crate::migrate::projections),
    },
    // 5: signed checkpoints (isms_store::Checkpoint: a chain head signed
    // with a key kept outside this file) and the last head a full or
    // incremental check found intact, where the next incremental check of
    // the reads starts when no signed checkpoint is trusted. The chain is
    // walked once to set it (a register of a million items takes a while:
    // the migration reports progress).
    Migration {
        sql: r#"
    CREATE TABLE checkpoints (
        id       INTEGER PRIMARY KEY,
        position INTEGER NOT NULL,
        body     TEXT    NOT NULL            -- the checkpoint as JSON, as exported
    ) STRICT;
    CREATE INDEX checkpoints_by_position ON checkpoints (position);
    CREATE TABLE verified_head (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        position INTEGER NOT NULL,
        hash     BLOB    NOT NULL CHECK (length(hash) = 32)
    ) STRICT;
    INSERT INTO verified_head (id, position, hash) VALUES (1, 0, zeroblob(32));
    "#,
        backfill: Some(crate::migrate::verified_head),
    },
    // 6: claims keyed by kind, number and claim, in one b-tree. The next
    // reference number is the end of a kind's range of that key, so
    // version 3's second index (`claims_by_number`) is no longer needed;
    // a claim is looked up with its kind and number, which its text
    // determines. A bulk load writes the claims in exactly this order,
    // appending to the one b-tree instead of sorting the whole table again
    // for its index. Filled from the version-3 table in key order.
    Migration {
        sql: r#"
    CREATE TABLE claims_by_key (
        kind   INTEGER NOT NULL,              -- 1 nonconformity, 2 improvement, 3 action
        number INTEGER NOT NULL,              -- the reference's number; 0 for actions
        claim  TEXT    NOT NULL,              -- NC-0007, IMP-0002, action/<uuid>
        stream TEXT    NOT NULL,
        PRIMARY KEY (kind, number, claim)
    ) STRICT, WITHOUT ROWID;
    "#,
        backfill: Some(crate::migrate::claims_by_key),
    },
];

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The `kind` column of `claims` for a claim.
pub(crate) fn claim_kind(claim: isms_core::Claim) -> i64 {
    match claim {
        isms_core::Claim::Nonconformity(_) => 1,
        isms_core::Claim::Improvement(_) => 2,
        isms_core::Claim::Action(_) => 3,
    }
}
