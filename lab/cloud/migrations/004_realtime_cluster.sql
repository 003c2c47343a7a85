-- Several cloud processes can share one database behind a load balancer. Each registers itself
-- as a node and keeps `seen_at` fresh; a node whose heartbeat stopped is dead, and what it
-- registered goes with it.
CREATE TABLE realtime_nodes (
  node_id text PRIMARY KEY,
  name text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now(),
  seen_at timestamptz NOT NULL DEFAULT now()
);

-- Where each gateway or cloud-desktop session is open, so any node can tell whether an instance
-- is connected and route ICE signalling to the node holding the desktop's socket. User sessions
-- are not listed: messages for them are broadcast and each node picks its own.
CREATE TABLE realtime_presence (
  session_id text PRIMARY KEY,
  node_id text NOT NULL REFERENCES realtime_nodes (node_id) ON DELETE CASCADE,
  channel text NOT NULL,
  instance_id text NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX realtime_presence_instance ON realtime_presence (instance_id, channel);

-- Messages between nodes travel as NOTIFY payloads; one too large for a payload (8000 bytes)
-- waits here and the notification carries its id. Rows older than a minute are deleted.
CREATE TABLE realtime_messages (
  id bigserial PRIMARY KEY,
  body text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- An ICE session id belongs to one viewer and one desktop across every node: the primary key
-- refuses a second offer with the same id wherever it arrives.
CREATE TABLE realtime_rtc_sessions (
  session_id text PRIMARY KEY,
  node_id text NOT NULL REFERENCES realtime_nodes (node_id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now()
);
