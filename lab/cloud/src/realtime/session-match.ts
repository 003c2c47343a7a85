import type { ChannelKind } from '@multiclaw-lab/protocol';
import type { Session } from './hub.ts';

/**
 * Which sessions a command applies to, as plain data: it crosses processes as JSON, so every
 * cloud process can apply it to the sessions it holds. Every field given must match.
 */
export interface SessionMatch {
  channel?: ChannelKind;
  /** any of these users */
  userIds?: string[];
  credentialId?: string;
  /** any of these instances (gateways, cloud desktops) */
  instanceIds?: string[];
  workspaceId?: string;
  /** spares this one session (the newer connection that replaces the others) */
  exceptSessionId?: string;
}

export function sessionMatches(s: Session, m: SessionMatch): boolean {
  return (
    (m.channel === undefined || s.channel === m.channel) &&
    (m.userIds === undefined || (s.userId !== null && m.userIds.includes(s.userId))) &&
    (m.credentialId === undefined || s.credentialId === m.credentialId) &&
    (m.instanceIds === undefined || (s.instanceId !== null && m.instanceIds.includes(s.instanceId))) &&
    (m.workspaceId === undefined || s.workspaceId === m.workspaceId) &&
    (m.exceptSessionId === undefined || s.id !== m.exceptSessionId)
  );
}

/** A session matching any of `matches`. */
export const matchesAny = (s: Session, matches: SessionMatch[]): boolean => matches.some((m) => sessionMatches(s, m));
