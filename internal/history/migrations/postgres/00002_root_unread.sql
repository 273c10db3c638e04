-- An observation whose root facts the audit could not read (no root row
-- in the credential report, a collector that failed): its facts are
-- empty, not "never used", and the study leaves it out. Observations
-- written before this column existed were all read (false).

-- +goose Up
ALTER TABLE observations ADD COLUMN IF NOT EXISTS root_unread BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE observations DROP COLUMN root_unread;
