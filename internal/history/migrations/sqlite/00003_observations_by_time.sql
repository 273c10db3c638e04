-- The observations, kept in the order the study reads them: a table
-- clustered on (as_of_us, account) (WITHOUT ROWID), so that a read of the
-- whole store walks the table once instead of an index and a lookup per
-- row; the account's timeline goes through observations_account. The
-- key is still one observation per (account, as_of).

-- +goose Up
CREATE TABLE observations_by_time (
    account   TEXT    NOT NULL,
    as_of_us  BIGINT  NOT NULL,
    run_id    BIGINT  NOT NULL REFERENCES runs (id),
    name      TEXT    NOT NULL,
    org       TEXT    NOT NULL,
    ou_path   TEXT    NOT NULL,
    created_at_us          BIGINT,
    password_last_used_us  BIGINT,
    key1_active            INTEGER NOT NULL,
    key1_last_rotated_us   BIGINT,
    key1_last_used_us      BIGINT,
    key2_active            INTEGER NOT NULL,
    key2_last_rotated_us   BIGINT,
    key2_last_used_us      BIGINT,
    mfa                    INTEGER NOT NULL,
    assets                 INTEGER,
    exact_sign_ins              INTEGER,
    exact_sign_ins_without_mfa  INTEGER,
    exact_key_signed_calls      INTEGER,
    root_unread            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (as_of_us, account)
) WITHOUT ROWID;
INSERT INTO observations_by_time (account, as_of_us, run_id, name, org, ou_path, created_at_us, password_last_used_us,
    key1_active, key1_last_rotated_us, key1_last_used_us, key2_active, key2_last_rotated_us, key2_last_used_us,
    mfa, assets, exact_sign_ins, exact_sign_ins_without_mfa, exact_key_signed_calls, root_unread)
SELECT account, as_of_us, run_id, name, org, ou_path, created_at_us, password_last_used_us,
    key1_active, key1_last_rotated_us, key1_last_used_us, key2_active, key2_last_rotated_us, key2_last_used_us,
    mfa, assets, exact_sign_ins, exact_sign_ins_without_mfa, exact_key_signed_calls, root_unread
FROM observations;
DROP TABLE observations;
ALTER TABLE observations_by_time RENAME TO observations;
CREATE UNIQUE INDEX observations_account ON observations (account, as_of_us);

-- +goose Down
CREATE TABLE observations_by_rowid (
    account   TEXT    NOT NULL,
    as_of_us  BIGINT  NOT NULL,
    run_id    BIGINT  NOT NULL REFERENCES runs (id),
    name      TEXT    NOT NULL,
    org       TEXT    NOT NULL,
    ou_path   TEXT    NOT NULL,
    created_at_us          BIGINT,
    password_last_used_us  BIGINT,
    key1_active            INTEGER NOT NULL,
    key1_last_rotated_us   BIGINT,
    key1_last_used_us      BIGINT,
    key2_active            INTEGER NOT NULL,
    key2_last_rotated_us   BIGINT,
    key2_last_used_us      BIGINT,
    mfa                    INTEGER NOT NULL,
    assets                 INTEGER,
    exact_sign_ins              INTEGER,
    exact_sign_ins_without_mfa  INTEGER,
    exact_key_signed_calls      INTEGER,
    root_unread            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, as_of_us)
);
INSERT INTO observations_by_rowid SELECT account, as_of_us, run_id, name, org, ou_path, created_at_us, password_last_used_us,
    key1_active, key1_last_rotated_us, key1_last_used_us, key2_active, key2_last_rotated_us, key2_last_used_us,
    mfa, assets, exact_sign_ins, exact_sign_ins_without_mfa, exact_key_signed_calls, root_unread
FROM observations;
DROP TABLE observations;
ALTER TABLE observations_by_rowid RENAME TO observations;
CREATE INDEX observations_as_of ON observations (as_of_us, account);
