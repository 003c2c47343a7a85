import { pickStunUrl, pickTurnUrl, TurnCredentialsResponse, type TurnTransport } from '@multiclaw-lab/protocol';
import { type Dispatcher, fetch } from 'undici';
import type { RTCIceServer } from 'werift';

export interface TurnSource {
  cloudUrl: string;
  /** the daemon's instance token (mci_…): GET /v1/turn/credentials accepts it */
  token: string;
  dispatcher?: Dispatcher | undefined;
  /** how this peer reaches coturn; `none`: STUN only (no relay candidate, no allocation) */
  transport: TurnTransport | 'none';
}

/**
 * Fresh coturn credentials from the cloud, as werift iceServers with exactly ONE TURN URL (werift
 * does not walk a list). Called per viewing session: the credentials are time-limited.
 */
export async function turnIceServers(source: TurnSource, signal?: AbortSignal): Promise<RTCIceServer[]> {
  const response = await fetch(new URL('/v1/turn/credentials', source.cloudUrl), {
    headers: { authorization: `Bearer ${source.token}` },
    ...(source.dispatcher ? { dispatcher: source.dispatcher } : {}),
    signal: signal ?? AbortSignal.timeout(15_000),
  });
  if (!response.ok) throw new Error(`GET /v1/turn/credentials answered HTTP ${response.status}`);
  const body = TurnCredentialsResponse.parse(await response.json());
  if (source.transport === 'none') {
    const stun = pickStunUrl(body.urls);
    if (!stun) throw new Error(`the cloud offers no stun: URL (got ${body.urls.join(', ') || 'none'})`);
    return [{ urls: stun }];
  }
  const url = pickTurnUrl(body.urls, source.transport);
  if (!url) throw new Error(`the cloud offers no ${source.transport} TURN URL (got ${body.urls.join(', ') || 'none'})`);
  return [{ urls: url, username: body.username, credential: body.credential }];
}
