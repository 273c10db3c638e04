-- The calls 'rootwatch fix --apply' made (and the steps it did not apply),
-- as its run log has them, one row per line: appended, never changed.
-- seq keeps the order they were made in among calls of the same time;
-- params, output and undo are JSON text (NULL: none); rollback_call marks
-- an undo made because a later call of its step failed.

-- +goose Up
CREATE TABLE fix_calls (
    seq          BIGSERIAL PRIMARY KEY,
    run_id       TEXT    NOT NULL,
    time_us      BIGINT  NOT NULL,
    account      TEXT    NOT NULL,
    region       TEXT    NOT NULL,
    step_id      TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    params       TEXT,
    result       TEXT    NOT NULL CHECK (result IN ('ok', 'error', 'skipped', 'failed')),
    error        TEXT    NOT NULL,
    output       TEXT,
    undo         TEXT,
    irreversible  BOOLEAN NOT NULL,
    rollback_call BOOLEAN NOT NULL
);
CREATE INDEX fix_calls_time ON fix_calls (time_us, seq);
CREATE INDEX fix_calls_account ON fix_calls (account, time_us, seq);

-- +goose Down
DROP TABLE fix_calls;
