-- MultiClaw Cloud schema, version 1.
-- Every timestamp is written by the application from its injected clock, never by now():
-- the lab moves application time with libfaketime, which PostgreSQL does not see.
-- Secrets never appear here in plaintext: passwords as bcrypt hashes, long-lived credentials as
-- SHA-256 digests, LLM keys and per-instance sync keys sealed under the master key.

CREATE TABLE users (
  id              text PRIMARY KEY,
  email           text NOT NULL UNIQUE,
  name            text NOT NULL,
  password_hash   text NOT NULL,
  failed_sign_ins integer NOT NULL DEFAULT 0,
  first_failed_at timestamptz,
  locked_until    timestamptz,
  created_at      timestamptz NOT NULL
);

-- Desktop app bearer tokens (mcb_). One row per sign-in; revoked rows are kept for the audit trail.
CREATE TABLE bearers (
  id          text PRIMARY KEY,
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash  bytea NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL,
  revoked_at  timestamptz,
  revoked_why text
);
CREATE INDEX bearers_user ON bearers (user_id) WHERE revoked_at IS NULL;

CREATE TABLE workspaces (
  id         text PRIMARY KEY,
  name       text NOT NULL,
  created_at timestamptz NOT NULL
);

-- Exactly one role per member.
CREATE TABLE memberships (
  workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role         text NOT NULL CHECK (role IN ('owner', 'member')),
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX memberships_user ON memberships (user_id);

-- Instances: local gateways (credential mcg_, owned by a user) and cloud desktops (mci_).
-- token_hash authenticates; sync_key_sealed is HKDF(token, id) sealed under the master key, so
-- config sync can seal for the instance without the cloud keeping the token itself.
CREATE TABLE instances (
  id                 text PRIMARY KEY,
  workspace_id       text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  kind               text NOT NULL CHECK (kind IN ('gateway', 'cloud-desktop')),
  name               text NOT NULL,
  user_id            text REFERENCES users (id) ON DELETE CASCADE,
  token_hash         bytea NOT NULL UNIQUE,
  sync_key_sealed    text NOT NULL,
  config_version     integer NOT NULL DEFAULT 0,
  config_acked       integer NOT NULL DEFAULT 0,
  created_at         timestamptz NOT NULL,
  revoked_at         timestamptz,
  revoked_why        text,
  CHECK ((kind = 'gateway') = (user_id IS NOT NULL))
);
CREATE INDEX instances_workspace ON instances (workspace_id);

CREATE TABLE instance_viewers (
  instance_id text NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  user_id     text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  PRIMARY KEY (instance_id, user_id)
);

CREATE TABLE agents (
  id              text PRIMARY KEY,
  workspace_id    text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  name            text NOT NULL,
  provider        text NOT NULL,
  model           text NOT NULL,
  base_url        text NOT NULL,
  key_sealed      text,
  key_fingerprint text,
  key_updated_at  timestamptz,
  created_at      timestamptz NOT NULL
);
CREATE INDEX agents_workspace ON agents (workspace_id);

-- Exactly once, in order: (instance, task, seq) is unique and seq grows by one.
CREATE TABLE task_statuses (
  instance_id  text NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
  task_id      text NOT NULL,
  seq          integer NOT NULL CHECK (seq > 0),
  workspace_id text NOT NULL,
  state        text NOT NULL,
  detail       text NOT NULL,
  at           timestamptz NOT NULL,
  received_at  timestamptz NOT NULL,
  PRIMARY KEY (instance_id, task_id, seq)
);
CREATE INDEX task_statuses_workspace_task ON task_statuses (workspace_id, task_id);

-- One row per conversation; the highest revision wins.
CREATE TABLE transcripts (
  workspace_id    text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  conversation_id text NOT NULL,
  instance_id     text NOT NULL,
  revision        integer NOT NULL,
  messages        jsonb NOT NULL,
  updated_at      timestamptz NOT NULL,
  PRIMARY KEY (workspace_id, conversation_id)
);
