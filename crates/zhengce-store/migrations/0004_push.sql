-- Batch push (migration 4): standings per (enterprise, policy), the transactional outbox (messages
-- and their notifications), delivery attempts, channels, unsubscriptions and uptake.
-- Portable between SQLite and PostgreSQL (BIGINT/TEXT/DOUBLE PRECISION, Unix ms, JSON as TEXT).
INSERT INTO counters (name, value) VALUES ('push_run', 0);

-- One row per change-detection run (the id comes from counters('push_run'), bumped in the run's
-- transaction, which also serialises runs).
CREATE TABLE push_runs (
    id             BIGINT NOT NULL PRIMARY KEY,
    as_of          TEXT NOT NULL,
    corpus_version TEXT NOT NULL,
    started_at     BIGINT NOT NULL,
    finished_at    BIGINT NOT NULL,
    summary        TEXT NOT NULL
);

-- The last standing told per (enterprise, policy): only eligible, near_miss and possible are kept
-- (no row = ineligible or never seen). `reminded` = the deadline reminder for this version is queued.
CREATE TABLE push_standings (
    credit_code    TEXT NOT NULL REFERENCES enterprises (credit_code),
    policy         TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    status         TEXT NOT NULL,
    reminded       BIGINT NOT NULL,
    run_id         BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (credit_code, policy)
);

-- Where notifications go. owner_kind: 'enterprise' (owner = credit code), 'town' (an officer's
-- digest of a town; owner = town or '*'), 'all' (every enterprise; owner '*').
-- enabled = 0: kept for delivery of what is queued, but no longer subscribed (or named per run only).
CREATE TABLE push_channels (
    name          TEXT NOT NULL PRIMARY KEY,
    kind          TEXT NOT NULL,
    target        TEXT NOT NULL,
    secret        TEXT NOT NULL,
    owner_kind    TEXT NOT NULL,
    owner         TEXT NOT NULL,
    per_minute    BIGINT NOT NULL,
    allow_private BIGINT NOT NULL,
    enabled       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX push_channels_owner ON push_channels (owner_kind, owner);

-- Enterprises that asked not to be notified.
CREATE TABLE push_unsubscribed (
    credit_code TEXT NOT NULL PRIMARY KEY REFERENCES enterprises (credit_code),
    at_ms       BIGINT NOT NULL,
    actor       TEXT NOT NULL
);

-- The outbox: one message per (run, channel, recipient) — a digest of its notifications.
-- state: pending | sent | dead. A claim sets lease_owner/lease_until; the claim expires by itself.
CREATE TABLE push_messages (
    id          TEXT NOT NULL PRIMARY KEY,
    run_id      BIGINT NOT NULL,
    channel     TEXT NOT NULL REFERENCES push_channels (name),
    recipient   TEXT NOT NULL,
    state       TEXT NOT NULL,
    attempts    BIGINT NOT NULL,
    next_at     BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error  TEXT,
    sent_at     BIGINT,
    created_at  BIGINT NOT NULL
);
CREATE INDEX push_messages_due ON push_messages (state, next_at);
CREATE INDEX push_messages_run ON push_messages (run_id);

-- One row per notification key; the UNIQUE key is what makes a re-run or a crash harmless.
CREATE TABLE push_notifications (
    key            TEXT NOT NULL PRIMARY KEY,
    credit_code    TEXT NOT NULL,
    policy         TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    channel        TEXT NOT NULL,
    kind           TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    run_id         BIGINT NOT NULL,
    text           TEXT NOT NULL,
    detail         TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    UNIQUE (credit_code, policy, policy_version, channel, kind)
);
CREATE INDEX push_notifications_message ON push_notifications (message_id);
CREATE INDEX push_notifications_policy ON push_notifications (policy, created_at);

-- The send log: every attempt with its outcome (sent, retry, dead, deferred).
CREATE TABLE push_attempts (
    message_id TEXT NOT NULL,
    at_ms      BIGINT NOT NULL,
    worker     TEXT NOT NULL,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX push_attempts_message ON push_attempts (message_id);

-- Uptake: 已申报 (applied) / 已兑现 (granted, with the amount in 万元).
CREATE TABLE push_uptake (
    credit_code TEXT NOT NULL REFERENCES enterprises (credit_code),
    policy      TEXT NOT NULL,
    state       TEXT NOT NULL,
    amount_wan  DOUBLE PRECISION,
    at_ms       BIGINT NOT NULL,
    actor       TEXT NOT NULL,
    PRIMARY KEY (credit_code, policy)
);
