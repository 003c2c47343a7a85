-- A WSS token opens one session: its id is recorded at the upgrade that used it, so a captured
-- or replayed token cannot open a second one ("generated fresh for every session"). Rows are
-- kept until the token expires; after that the expiry check refuses it anyway.
CREATE TABLE used_wss_tokens (
  jti text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX used_wss_tokens_expires_at ON used_wss_tokens (expires_at);
