-- Enterprise requests (诉求) in a closed loop (migration 5). Portable between SQLite and
-- PostgreSQL: BIGINT/TEXT only, times as Unix ms, calendar days as YYYY-MM-DD text, amounts as
-- integer fen (分), JSON as TEXT.
INSERT INTO counters (name, value) VALUES ('request_id', 0);

-- Staff belong to a department (the handling side) and may hold the dispatch permission.
ALTER TABLE users ADD COLUMN department TEXT;
ALTER TABLE users ADD COLUMN can_dispatch BIGINT NOT NULL DEFAULT 0;

-- One row per request; state and the latest facts of each step. demo = 1 for generated demo data.
CREATE TABLE requests (
    id             BIGINT NOT NULL PRIMARY KEY,
    credit_code    TEXT NOT NULL REFERENCES enterprises (credit_code),
    category       TEXT NOT NULL,
    text           TEXT NOT NULL,
    policy         TEXT,
    source         TEXT NOT NULL,
    state          TEXT NOT NULL,
    department     TEXT,
    due            TEXT,
    dispatcher     TEXT,
    handled_note   TEXT,
    amount_fen     BIGINT,
    rating         TEXT,
    rating_comment TEXT,
    reopened       BIGINT NOT NULL,
    demo           BIGINT NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    created_on     TEXT NOT NULL,
    dispatched_on  TEXT,
    handled_on     TEXT,
    rated_on       TEXT,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX requests_enterprise ON requests (credit_code);
CREATE INDEX requests_department ON requests (department, state);
CREATE INDEX requests_state ON requests (state, due);

-- Every transition of a request (also in the audit log, in the same transaction).
CREATE TABLE request_events (
    request_id BIGINT NOT NULL REFERENCES requests (id),
    seq        BIGINT NOT NULL,
    at_ms      BIGINT NOT NULL,
    on_date    TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state   TEXT NOT NULL,
    detail     TEXT NOT NULL,
    PRIMARY KEY (request_id, seq)
);

-- Overdue requests escalated to their dispatcher: once per (request, due date).
CREATE TABLE request_escalations (
    request_id BIGINT NOT NULL REFERENCES requests (id),
    due        TEXT NOT NULL,
    dispatcher TEXT NOT NULL,
    department TEXT NOT NULL,
    on_date    TEXT NOT NULL,
    at_ms      BIGINT NOT NULL,
    queued     BIGINT NOT NULL,
    PRIMARY KEY (request_id, due)
);
