-- An observation whose root facts the audit could not read (no root row
-- in the credential report, a collector that failed): its facts are
-- empty, not "never used", and the study leaves it out. Observations
-- written before this column existed were all read (0).

-- +goose Up
ALTER TABLE observations ADD COLUMN root_unread INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE observations DROP COLUMN root_unread;
