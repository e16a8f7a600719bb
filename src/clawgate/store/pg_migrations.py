"""The PostgreSQL schema as numbered steps. A step is never edited once released: a change is a new step.
Applied in order under an advisory lock (two processes starting together migrate once), each recorded in
`clawgate_migrations`."""

from __future__ import annotations

LOCK_ID = 0x636C6177  # pg_advisory_xact_lock key: "claw"

MIGRATIONS: list[tuple[int, str, str]] = [
    (
        1,
        "attempts, health, sessions, messages (seq per session), runs, cron runs",
        """
CREATE TABLE attempts (
  id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION NOT NULL, call_id TEXT, purpose TEXT, agent TEXT, ref TEXT,
  provider TEXT, model TEXT, api TEXT, cred_source TEXT, fingerprint TEXT, ok BOOLEAN, status INTEGER,
  owner TEXT, code TEXT, message TEXT, latency_ms DOUBLE PRECISION, first_byte_ms DOUBLE PRECISION,
  input_tokens BIGINT, output_tokens BIGINT, stream BOOLEAN, try_no INTEGER, sent BOOLEAN, session_id TEXT,
  run_id TEXT, request_id TEXT
);
CREATE INDEX attempts_ts ON attempts (ts);
CREATE TABLE health (
  provider TEXT NOT NULL, fingerprint TEXT NOT NULL, model TEXT NOT NULL, state TEXT, until DOUBLE PRECISION,
  cred_source TEXT, first_ts DOUBLE PRECISION, first_status INTEGER, first_owner TEXT, first_code TEXT,
  first_message TEXT, last_ts DOUBLE PRECISION, last_code TEXT, count INTEGER,
  PRIMARY KEY (provider, fingerprint, model)
);
CREATE TABLE sessions (
  id TEXT PRIMARY KEY, agent TEXT, created_at DOUBLE PRECISION, updated_at DOUBLE PRECISION, title TEXT,
  model_pin TEXT, kind TEXT, parent_run_id TEXT, tokens_used BIGINT
);
CREATE INDEX sessions_updated ON sessions (updated_at);
CREATE TABLE session_seqs (session_id TEXT PRIMARY KEY, last BIGINT NOT NULL);
CREATE TABLE messages (
  id TEXT PRIMARY KEY, session_id TEXT NOT NULL, seq BIGINT NOT NULL, role TEXT, content TEXT, status TEXT,
  created_at DOUBLE PRECISION, run_id TEXT, ref TEXT, error TEXT, tool_calls TEXT, tool_call_id TEXT,
  name TEXT, updated_at DOUBLE PRECISION
);
CREATE UNIQUE INDEX messages_session_seq ON messages (session_id, seq);
CREATE INDEX messages_status ON messages (status);
CREATE TABLE runs (
  id TEXT PRIMARY KEY, session_id TEXT, agent TEXT, status TEXT, created_at DOUBLE PRECISION,
  parent_run_id TEXT, limit_kind TEXT, started_at DOUBLE PRECISION, ended_at DOUBLE PRECISION,
  last_activity_at DOUBLE PRECISION, ref TEXT, model_from TEXT, credential TEXT, usage TEXT, error TEXT,
  trigger TEXT, message_id TEXT, reply_id TEXT, subagents TEXT, worker TEXT
);
CREATE INDEX runs_session ON runs (session_id, created_at);
CREATE INDEX runs_status ON runs (status);
CREATE TABLE cron_runs (
  id BIGSERIAL PRIMARY KEY, job_id TEXT, ts DOUBLE PRECISION, status TEXT, trigger TEXT, via TEXT,
  ended_at DOUBLE PRECISION, run_id TEXT, session_id TEXT, agent TEXT, ref TEXT, owner TEXT, code TEXT,
  message TEXT, next_steps TEXT
);
CREATE INDEX cron_runs_job ON cron_runs (job_id, ts);
""",
    ),
]

MIGRATIONS.append(
    (
        2,
        "attempts' cache tokens; health_clears (a health clear every process sees)",
        """
ALTER TABLE attempts ADD COLUMN IF NOT EXISTS cache_read_tokens BIGINT;
ALTER TABLE attempts ADD COLUMN IF NOT EXISTS cache_write_tokens BIGINT;
CREATE TABLE IF NOT EXISTS health_clears (
  id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION, provider TEXT, fingerprint TEXT
);
""",
    )
)

MIGRATIONS.append(
    (
        3,
        "responses (Responses answers kept for previous_response_id)",
        """
CREATE TABLE IF NOT EXISTS responses (
  id TEXT PRIMARY KEY, created_at DOUBLE PRECISION, expires_at DOUBLE PRECISION, model TEXT, items TEXT
);
CREATE INDEX IF NOT EXISTS responses_expires ON responses (expires_at);
""",
    )
)

MIGRATIONS.append(
    (
        4,
        "client keys, devices; attempts' client and cost (clients and spend)",
        """
ALTER TABLE attempts ADD COLUMN IF NOT EXISTS client TEXT;
ALTER TABLE attempts ADD COLUMN IF NOT EXISTS cost_usd DOUBLE PRECISION;
CREATE INDEX IF NOT EXISTS attempts_client ON attempts (client, ts);
CREATE TABLE IF NOT EXISTS client_keys (
  id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, secret_hash TEXT NOT NULL, hint TEXT,
  created_at DOUBLE PRECISION, updated_at DOUBLE PRECISION, expires_at DOUBLE PRECISION,
  revoked_at DOUBLE PRECISION, rotated_at DOUBLE PRECISION, prev_hash TEXT, prev_until DOUBLE PRECISION,
  scopes TEXT, rpm BIGINT, tpm BIGINT, budget_usd DOUBLE PRECISION, budget_period TEXT, note TEXT
);
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY, name TEXT, kind TEXT, state TEXT, secret_hash TEXT, code TEXT,
  requested_at DOUBLE PRECISION, updated_at DOUBLE PRECISION, requested_from TEXT, platform TEXT,
  approved_at DOUBLE PRECISION, revoked_at DOUBLE PRECISION, last_seen_at DOUBLE PRECISION,
  last_refused_at DOUBLE PRECISION, last_refused_code TEXT, refusals INTEGER
);
CREATE TABLE IF NOT EXISTS clients_changes (id BIGSERIAL PRIMARY KEY, ts DOUBLE PRECISION);
""",
    )
)

MIGRATIONS.append(
    (
        5,
        "health.endpoint (the base URL a health verdict was learned on); runs.fallback (what a run skipped)",
        """
ALTER TABLE health ADD COLUMN IF NOT EXISTS endpoint TEXT;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS fallback TEXT;
""",
    )
)

LATEST = MIGRATIONS[-1][0]
