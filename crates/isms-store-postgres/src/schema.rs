//! The schema (in its own PostgreSQL schema `isms`) and its migrations.
//!
//! Every table of a register's data carries the register id as the first
//! column of its primary key: the key the row-level security policies test,
//! the prefix of every index, and the distribution column of a Citus
//! deployment (`docs/scaling.md`).

/// Migrations, in order; `isms.schema_version` holds one row per migration
/// applied. Never edit a released migration: add a new one.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: registers with their chain heads, who may work in which, the log,
    // claims, requests, the projections, and the policies that keep
    // registers apart.
    r#"
    -- One row per register: its chain head, moved in every append's
    -- transaction. Appending locks this row (`FOR UPDATE`): the positions
    -- and the chain of one register are one sequence, so appends to one
    -- register commit one after the other; other registers are not touched.
    CREATE TABLE isms.registers (
        register      text        PRIMARY KEY CHECK (register ~ '^[a-z0-9][a-z0-9_-]{0,39}$'),
        head_position bigint      NOT NULL DEFAULT 0,
        head_hash     bytea       NOT NULL DEFAULT decode(repeat('00', 32), 'hex')
                                  CHECK (length(head_hash) = 32),
        created_at    timestamptz NOT NULL DEFAULT now()
    );

    -- Which database role may work in which register.
    CREATE TABLE isms.register_access (
        role_name name NOT NULL,
        register  text NOT NULL REFERENCES isms.registers ON DELETE CASCADE,
        PRIMARY KEY (role_name, register)
    );

    -- The register the session chose (`SET isms.register`), if the current
    -- role may work in it; NULL otherwise. Setting another register's id by
    -- hand therefore selects nothing.
    CREATE FUNCTION isms.session_register() RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT a.register FROM isms.register_access a
        WHERE a.role_name = current_user
          AND a.register = current_setting('isms.register', true)
    $$;

    -- The log. `body` is the event's JSON exactly as hashed (text, not
    -- jsonb: jsonb reorders keys); `hash` the chain hash of the register.
    CREATE TABLE isms.events (
        register text   NOT NULL REFERENCES isms.registers,
        position bigint NOT NULL CHECK (position >= 1),
        stream   text   NOT NULL,
        sequence bigint NOT NULL CHECK (sequence >= 1),
        body     text   NOT NULL,
        hash     bytea  NOT NULL CHECK (length(hash) = 32),
        PRIMARY KEY (register, position),
        UNIQUE (register, stream, sequence)
    );

    -- Append-only. Only the owning role holds DELETE, and uses it for one
    -- thing: dropping a whole register (`Admin::drop_register`), which it
    -- announces in the transaction first.
    CREATE FUNCTION isms.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE'
           AND current_setting('isms.dropping_register', true) = OLD.register THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'the event log is append-only';
    END
    $$;
    CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON isms.events
    FOR EACH ROW EXECUTE FUNCTION isms.refuse_change();

    -- Register-wide keys an event takes: NC-0007, IMP-0002, action/<uuid>.
    CREATE TABLE isms.claims (
        register text    NOT NULL REFERENCES isms.registers,
        claim    text    NOT NULL,
        kind     smallint NOT NULL,   -- 1 nonconformity, 2 improvement, 3 action
        number   integer NOT NULL,    -- the reference's number; 0 for actions
        stream   text    NOT NULL,
        PRIMARY KEY (register, claim)
    );
    CREATE INDEX claims_by_number ON isms.claims (register, kind, number);

    -- Idempotency: a request id, its command's fingerprint, where its
    -- events went, and the warnings of its decision (JSON).
    CREATE TABLE isms.requests (
        register       text   NOT NULL REFERENCES isms.registers,
        request_id     text   NOT NULL,
        fingerprint    bytea  NOT NULL CHECK (length(fingerprint) = 32),
        first_position bigint NOT NULL,
        last_position  bigint NOT NULL,
        warnings       text   NOT NULL,
        PRIMARY KEY (register, request_id)
    );

    -- Projections, written in the append's transaction
    -- (isms_store::projection::ItemRow).
    CREATE TABLE isms.items (
        register text     NOT NULL REFERENCES isms.registers,
        stream   text     NOT NULL,
        kind     smallint NOT NULL,
        number   integer  NOT NULL,
        state    text     NOT NULL,
        owner    text     NOT NULL,
        severity text,
        next_due text,
        version  bigint   NOT NULL,
        position bigint   NOT NULL,
        body     text     NOT NULL,
        PRIMARY KEY (register, stream),
        UNIQUE (register, kind, number)
    );
    CREATE INDEX items_by_state ON isms.items (register, kind, state, number);
    CREATE INDEX items_by_owner ON isms.items (register, kind, owner, number);
    CREATE INDEX items_by_due ON isms.items (register, kind, next_due);
    CREATE TABLE isms.kpi_facts (
        register text     NOT NULL REFERENCES isms.registers,
        kind     smallint NOT NULL,
        number   integer  NOT NULL,
        facts    bytea    NOT NULL,
        PRIMARY KEY (register, kind, number)
    );

    -- Row-level security: a session sees and writes only the rows of the
    -- register it chose and may work in. The owning role (the one that ran
    -- the migrations) administers and is not bound; applications connect
    -- as other roles.
    ALTER TABLE isms.registers ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_register ON isms.registers
        USING (register = (SELECT isms.session_register()))
        WITH CHECK (register = (SELECT isms.session_register()));
    ALTER TABLE isms.register_access ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_grants ON isms.register_access FOR SELECT
        USING (role_name = current_user);
    ALTER TABLE isms.events ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_register ON isms.events
        USING (register = (SELECT isms.session_register()))
        WITH CHECK (register = (SELECT isms.session_register()));
    ALTER TABLE isms.claims ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_register ON isms.claims
        USING (register = (SELECT isms.session_register()))
        WITH CHECK (register = (SELECT isms.session_register()));
    ALTER TABLE isms.requests ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_register ON isms.requests
        USING (register = (SELECT isms.session_register()))
        WITH CHECK (register = (SELECT isms.session_register()));
    ALTER TABLE isms.items ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_register ON isms.items
        USING (register = (SELECT isms.session_register()))
        WITH CHECK (register = (SELECT isms.session_register()));
    ALTER TABLE isms.kpi_facts ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_register ON isms.kpi_facts
        USING (register = (SELECT isms.session_register()))
        WITH CHECK (register = (SELECT isms.session_register()));
    "#,
    // 2: signed checkpoints and the head a session last checked, per
    // register (the SQLite store's schema 5).
    r#"
    -- The head a session last walked the chain to: where the next
    -- incremental check starts when no trusted checkpoint is later. Not
    -- evidence (the owner can change it); a signed checkpoint is.
    ALTER TABLE isms.registers
        ADD COLUMN verified_position bigint NOT NULL DEFAULT 0,
        ADD COLUMN verified_hash     bytea  NOT NULL DEFAULT decode(repeat('00', 32), 'hex')
                                     CHECK (length(verified_hash) = 32);

    -- Chain heads signed with an Ed25519 key kept outside the database
    -- (isms_store::Checkpoint, its JSON in `body`). Append-only like the log.
    CREATE TABLE isms.checkpoints (
        register text   NOT NULL REFERENCES isms.registers,
        position bigint NOT NULL CHECK (position >= 0),
        key_id   text   NOT NULL,
        body     text   NOT NULL,
        PRIMARY KEY (register, position, key_id)
    );
    CREATE TRIGGER checkpoints_append_only BEFORE UPDATE OR DELETE ON isms.checkpoints
    FOR EACH ROW EXECUTE FUNCTION isms.refuse_change();
    ALTER TABLE isms.checkpoints ENABLE ROW LEVEL SECURITY;
    CREATE POLICY own_register ON isms.checkpoints
        USING (register = (SELECT isms.session_register()))
        WITH CHECK (register = (SELECT isms.session_register()));

    -- Roles granted a register before this migration get the new
    -- privileges too.
    DO $$
    DECLARE r name;
    BEGIN
        FOR r IN SELECT DISTINCT a.role_name FROM isms.register_access a
                 JOIN pg_roles p ON p.rolname = a.role_name
        LOOP
            EXECUTE format('GRANT SELECT, INSERT ON isms.checkpoints TO %I', r);
            EXECUTE format('GRANT UPDATE (verified_position, verified_hash) ON isms.registers TO %I', r);
        END LOOP;
    END
    $$;
    "#,
];

/// The schema version this build writes and reads: the number of
/// migrations.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// What a role granted a register may do, table by table: append to the
/// log, never change it; keep the projections (a rebuild deletes them).
pub(crate) const ROLE_PRIVILEGES: &str = "
    GRANT USAGE ON SCHEMA isms TO {role};
    GRANT SELECT ON isms.schema_version, isms.register_access TO {role};
    GRANT SELECT, UPDATE (head_position, head_hash, verified_position, verified_hash)
        ON isms.registers TO {role};
    GRANT SELECT, INSERT ON isms.events, isms.claims, isms.requests, isms.checkpoints TO {role};
    GRANT SELECT, INSERT, UPDATE, DELETE ON isms.items, isms.kpi_facts TO {role};
    GRANT EXECUTE ON FUNCTION isms.session_register() TO {role};
";
