-- The ledger as releases before the store (schema versions 1-4) created it: the test fixture for upgrades.
-- @version 1
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE submissions(
        id INTEGER PRIMARY KEY,
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,            -- village / town_review / master / other
        status TEXT NOT NULL,          -- applied / duplicate / unreadable / failed / ignored
        town TEXT, village TEXT,
        file_name TEXT NOT NULL,
        archived_path TEXT,
        received_at TEXT NOT NULL,
        errors INTEGER NOT NULL DEFAULT 0,
        warnings INTEGER NOT NULL DEFAULT 0,
        households INTEGER NOT NULL DEFAULT 0,
        members INTEGER NOT NULL DEFAULT 0,
        feedback_path TEXT,
        message TEXT
    );
    CREATE INDEX submissions_sha ON submissions(sha256);
    CREATE INDEX submissions_village ON submissions(town, village);
    CREATE TABLE households(
        id INTEGER PRIMARY KEY,
        household_no TEXT,
        provisional INTEGER NOT NULL DEFAULT 0,
        head_id TEXT NOT NULL,
        head_name TEXT,
        town TEXT NOT NULL,
        village TEXT NOT NULL,
        state TEXT NOT NULL,
        version INTEGER NOT NULL DEFAULT 1,
        opinion TEXT NOT NULL DEFAULT '',
        on_file INTEGER NOT NULL DEFAULT 1,
        lead_date TEXT,
        identified_date TEXT,
        eliminated_date TEXT,
        submission_id INTEGER REFERENCES submissions(id),
        row INTEGER,
        data TEXT NOT NULL,
        assessment TEXT NOT NULL,
        errors INTEGER NOT NULL DEFAULT 0,
        warnings INTEGER NOT NULL DEFAULT 0,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX households_place ON households(town, village);
    CREATE INDEX households_head ON households(head_id);
    CREATE INDEX households_no ON households(household_no);
    CREATE INDEX households_state ON households(state);
    CREATE TABLE members(
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        person_id TEXT,
        name TEXT,
        town TEXT NOT NULL,
        village TEXT NOT NULL,
        sheet TEXT, row INTEGER,
        data TEXT NOT NULL
    );
    CREATE INDEX members_household ON members(household_id);
    CREATE INDEX members_person ON members(person_id);
    CREATE TABLE measures(
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        data TEXT NOT NULL
    );
    CREATE INDEX measures_household ON measures(household_id);
    CREATE TABLE reviews(
        id INTEGER PRIMARY KEY,
        household_id INTEGER NOT NULL REFERENCES households(id),
        data TEXT NOT NULL
    );
    CREATE INDEX reviews_household ON reviews(household_id);
    CREATE TABLE issues(
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        code TEXT NOT NULL, severity TEXT NOT NULL,
        sheet TEXT, row INTEGER, column_name TEXT, value TEXT,
        message TEXT NOT NULL, hint TEXT NOT NULL
    );
    CREATE INDEX issues_submission ON issues(submission_id);
    CREATE TABLE events(
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        household_id INTEGER REFERENCES households(id),
        event TEXT NOT NULL,
        from_state TEXT, to_state TEXT,
        level TEXT NOT NULL,
        person TEXT,
        source_sha256 TEXT,
        comment TEXT
    );
    CREATE INDEX events_household ON events(household_id);
    CREATE TRIGGER events_no_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TRIGGER events_no_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
    CREATE TABLE outputs(
        path TEXT PRIMARY KEY,
        sha256 TEXT NOT NULL,
        kind TEXT NOT NULL,
        written_at TEXT NOT NULL
    );
    CREATE TABLE counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
-- @version 2
CREATE TABLE decision_notes(
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        level TEXT NOT NULL,
        town TEXT,
        message TEXT NOT NULL,
        shown_at TEXT
    );
-- @version 3
ALTER TABLE events ADD COLUMN effective_date TEXT;
-- @version 4
CREATE INDEX members_place ON members(town, village);  -- a village's people in two villages, per file
