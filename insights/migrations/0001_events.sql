-- The insights schema: one row per reply served and one per vote, with labels and figures only.
-- Plain SQL that SQLite and PostgreSQL both run; `python -m insights migrate` (or the app at start) applies it.
-- `hour` is UTC as the integer YYYYMMDDHH: an event is never placed more finely than its hour.
-- `question` and `note` hold redacted text only when [privacy] allows it; the purge empties them after retention_days.

CREATE TABLE replies (
    id TEXT PRIMARY KEY,
    hour BIGINT NOT NULL,
    channel TEXT NOT NULL,
    kind TEXT NOT NULL,
    triage TEXT NOT NULL,
    topic TEXT,
    intent TEXT,
    language TEXT NOT NULL,
    latency_ms DOUBLE PRECISION NOT NULL,
    answer_hash TEXT,
    question TEXT
);
CREATE INDEX replies_by_hour ON replies (hour);
CREATE INDEX replies_by_answer ON replies (answer_hash, hour);

CREATE TABLE reply_signs (
    reply_id TEXT NOT NULL REFERENCES replies (id) ON DELETE CASCADE,
    sign TEXT NOT NULL
);
CREATE INDEX reply_signs_by_reply ON reply_signs (reply_id);

CREATE TABLE reply_citations (
    reply_id TEXT NOT NULL REFERENCES replies (id) ON DELETE CASCADE,
    treatment TEXT NOT NULL,
    section TEXT NOT NULL
);
CREATE INDEX reply_citations_by_reply ON reply_citations (reply_id);

CREATE TABLE votes (
    id TEXT PRIMARY KEY,
    hour BIGINT NOT NULL,
    channel TEXT NOT NULL,
    vote TEXT NOT NULL CHECK (vote IN ('up', 'down')),
    reason TEXT,
    answer_hash TEXT NOT NULL,
    question TEXT,
    note TEXT
);
CREATE INDEX votes_by_hour ON votes (hour);
