-- Membership needs the member's consent: an owner invites an existing account, and only the
-- invitee's own acceptance makes a membership. Until then the inviter has no power over the
-- invitee (removal and forced sign-out revoke every token of a member on every device).
CREATE TABLE invitations (
  id           text PRIMARY KEY,
  workspace_id text NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
  user_id      text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role         text NOT NULL CHECK (role IN ('owner', 'member')),
  invited_by   text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL,
  accepted_at  timestamptz
);
-- one open invitation per person and workspace
CREATE UNIQUE INDEX invitations_pending ON invitations (workspace_id, user_id) WHERE accepted_at IS NULL;
CREATE INDEX invitations_user ON invitations (user_id);
