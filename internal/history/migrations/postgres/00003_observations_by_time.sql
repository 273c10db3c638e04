-- Nothing to do in PostgreSQL: SQLite's 00003 clusters the observations
-- by time, which PostgreSQL's observations_as_of index already serves.
-- The version is kept so that both backends share their version numbers.

-- +goose Up

-- +goose Down
