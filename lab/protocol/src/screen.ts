/**
 * Cloud desktop viewing over a WebRTC DataChannel (after rtc.* signalling). The daemon sends each
 * screen frame as one binary message holding a whole JPEG; the viewer sends input events as JSON
 * text messages. One channel, opened by the viewer, carries both directions.
 */
import { z } from 'zod';

export const SCREEN_CHANNEL_LABEL = 'screen';

export const ScreenPointerInput = z.object({
  type: z.literal('pointer'),
  x: z.number().int().min(0).max(100_000),
  y: z.number().int().min(0).max(100_000),
  buttons: z.number().int().min(0).max(31).default(0),
});
export const ScreenKeyInput = z.object({
  type: z.literal('key'),
  key: z.string().min(1).max(32),
  down: z.boolean(),
});
/** viewer → daemon over the DataChannel (text message, JSON) */
export const ScreenInput = z.discriminatedUnion('type', [ScreenPointerInput, ScreenKeyInput]);
export type ScreenInput = z.infer<typeof ScreenInput>;

/** How a WebRTC peer reaches coturn: UDP (turn:), TCP (turn:…?transport=tcp) or TLS (turns:). */
export type TurnTransport = 'udp' | 'tcp' | 'tls';

/** The transport a TURN URL from GET /v1/turn/credentials names (RFC 7065 defaults: turn → udp, turns → tls). */
export function turnUrlTransport(url: string): TurnTransport | undefined {
  const match = /^(turns?):[^?]+(?:\?transport=(udp|tcp))?$/i.exec(url.trim());
  if (!match) return undefined;
  if (match[1]!.toLowerCase() === 'turns') return 'tls';
  return match[2]?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
}

/**
 * The one TURN URL a peer should use for `transport` out of the cloud's list (werift does not walk
 * a list, so each peer gets exactly one), or undefined when the cloud offers none.
 */
export function pickTurnUrl(urls: readonly string[], transport: TurnTransport): string | undefined {
  return urls.find((u) => turnUrlTransport(u) === transport);
}

/**
 * The STUN URL in the cloud's list (`stun:HOST:PORT`): a direct attempt uses only this, so it
 * learns its public address without asking the relay for an allocation.
 */
export function pickStunUrl(urls: readonly string[]): string | undefined {
  return urls.find((u) => /^stun:[^?]+$/i.test(u.trim()));
}
