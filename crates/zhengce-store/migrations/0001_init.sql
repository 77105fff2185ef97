-- zhengce store schema, version 1. Portable between SQLite and PostgreSQL:
-- BIGINT/TEXT/DOUBLE PRECISION only, times as Unix milliseconds, JSON as TEXT, no auto-increment.

-- Gapless sequences (audit log now; the notification outbox later), bumped inside the writing transaction.
CREATE TABLE counters (
    name  TEXT NOT NULL PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('audit_seq', 0);

-- One row per enterprise; the searchable columns mirror its current profile version.
CREATE TABLE enterprises (
    credit_code     TEXT NOT NULL PRIMARY KEY,
    name            TEXT,
    region          TEXT,
    town            TEXT,
    park            TEXT,
    chamber         TEXT,
    industry_code   TEXT,
    current_version BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX enterprises_town ON enterprises (town);
CREATE INDEX enterprises_park ON enterprises (park);
CREATE INDEX enterprises_chamber ON enterprises (chamber);

-- Every change of a profile is a new version: who, when, from where, the canonical JSON, its hash.
CREATE TABLE profile_versions (
    credit_code    TEXT NOT NULL REFERENCES enterprises (credit_code),
    version        BIGINT NOT NULL,
    profile        TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    changed_fields TEXT NOT NULL,
    changed_by     TEXT NOT NULL,
    changed_at     BIGINT NOT NULL,
    source         TEXT NOT NULL,
    PRIMARY KEY (credit_code, version)
);

-- One match run per enterprise and corpus version: which profile version and date it used.
CREATE TABLE match_runs (
    credit_code     TEXT NOT NULL REFERENCES enterprises (credit_code),
    corpus_version  TEXT NOT NULL,
    profile_version BIGINT NOT NULL,
    as_of           TEXT NOT NULL,
    derived         TEXT NOT NULL,
    computed_at     BIGINT NOT NULL,
    PRIMARY KEY (credit_code, corpus_version)
);

-- The result per enterprise, policy and corpus version (rank = position in the report, best first).
CREATE TABLE match_results (
    credit_code    TEXT NOT NULL,
    corpus_version TEXT NOT NULL,
    policy         TEXT NOT NULL,
    rank           BIGINT NOT NULL,
    status         TEXT NOT NULL,
    amount_wan     DOUBLE PRECISION,
    result         TEXT NOT NULL,
    PRIMARY KEY (credit_code, policy, corpus_version),
    FOREIGN KEY (credit_code, corpus_version) REFERENCES match_runs (credit_code, corpus_version)
);
CREATE INDEX match_results_policy ON match_results (policy, corpus_version, status);

-- Append-only audit log; seq comes from counters('audit_seq') in the same transaction.
CREATE TABLE audit_log (
    seq     BIGINT NOT NULL PRIMARY KEY,
    at_ms   BIGINT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail  TEXT NOT NULL
);
