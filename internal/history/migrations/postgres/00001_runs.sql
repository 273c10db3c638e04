-- The history store's schema (PostgreSQL). Times are microseconds since
-- the Unix epoch, UTC (NULL: not known), the same in both backends.

-- +goose Up
CREATE TABLE IF NOT EXISTS runs (
    id            BIGSERIAL PRIMARY KEY,
    -- identity: a hash of the run's (account, as_of) pairs; a run written
    -- again with the same reports is the same run.
    identity      TEXT    NOT NULL UNIQUE,
    as_of_us      BIGINT  NOT NULL,
    first_as_of_us BIGINT NOT NULL,
    written_at_us BIGINT  NOT NULL,
    tool_version  TEXT    NOT NULL,
    accounts      INTEGER NOT NULL,
    findings      INTEGER NOT NULL,
    events        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_as_of ON runs (as_of_us);

CREATE TABLE IF NOT EXISTS run_accounts (
    run_id   BIGINT NOT NULL REFERENCES runs (id),
    account  TEXT   NOT NULL,
    as_of_us BIGINT NOT NULL,
    PRIMARY KEY (run_id, account)
);

CREATE TABLE IF NOT EXISTS observations (
    account   TEXT    NOT NULL,
    as_of_us  BIGINT  NOT NULL,
    run_id    BIGINT  NOT NULL REFERENCES runs (id),
    name      TEXT    NOT NULL,
    org       TEXT    NOT NULL,
    ou_path   TEXT    NOT NULL,
    created_at_us          BIGINT,
    password_last_used_us  BIGINT,
    key1_active            BOOLEAN NOT NULL,
    key1_last_rotated_us   BIGINT,
    key1_last_used_us      BIGINT,
    key2_active            BOOLEAN NOT NULL,
    key2_last_rotated_us   BIGINT,
    key2_last_used_us      BIGINT,
    mfa                    BOOLEAN NOT NULL,
    assets                 INTEGER,
    exact_sign_ins              INTEGER,
    exact_sign_ins_without_mfa  INTEGER,
    exact_key_signed_calls      INTEGER,
    PRIMARY KEY (account, as_of_us)
);
CREATE INDEX IF NOT EXISTS observations_as_of ON observations (as_of_us, account);

CREATE TABLE IF NOT EXISTS findings (
    run_id     BIGINT NOT NULL REFERENCES runs (id),
    id         TEXT   NOT NULL,
    check_id   TEXT   NOT NULL,
    status     TEXT   NOT NULL,
    severity   TEXT   NOT NULL,
    account    TEXT   NOT NULL,
    org        TEXT   NOT NULL,
    resource   TEXT   NOT NULL,
    message    TEXT   NOT NULL,
    PRIMARY KEY (run_id, id)
);
CREATE INDEX IF NOT EXISTS findings_account ON findings (account, run_id, id);

CREATE TABLE IF NOT EXISTS root_events (
    account       TEXT    NOT NULL,
    event_id      TEXT    NOT NULL,
    run_id        BIGINT  NOT NULL REFERENCES runs (id),
    event_time_us BIGINT  NOT NULL,
    kind          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    success       BOOLEAN NOT NULL,
    mfa           TEXT    NOT NULL,
    session       TEXT    NOT NULL,
    access_key_id TEXT    NOT NULL,
    source_ip     TEXT    NOT NULL,
    region        TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    PRIMARY KEY (account, event_id)
);
CREATE INDEX IF NOT EXISTS root_events_time ON root_events (event_time_us);

-- +goose Down
DROP TABLE root_events;
DROP TABLE findings;
DROP TABLE observations;
DROP TABLE run_accounts;
DROP TABLE runs;
