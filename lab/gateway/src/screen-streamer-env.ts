import type { Logger } from '@multiclaw-lab/kit';
import type { GatewayMode, TurnTransport } from '@multiclaw-lab/protocol';
import type { ScreenStreamerContext } from './gateway.ts';
import type { ScreenStreamer } from './screen-streamer.ts';
import { turnIceServers } from './turn-credentials.ts';

type Fail = (message: string, hint?: string) => never;
type Factory = (context: ScreenStreamerContext) => ScreenStreamer;

/** `none`: STUN only — a cloud desktop with a public address needs no relay of its own (the viewer's carries the stream) */
const TRANSPORTS: readonly (TurnTransport | 'none')[] = ['udp', 'tcp', 'tls', 'none'];

/**
 * GATEWAY_SCREEN_STREAMER=webrtc turns on the WebRTC screen streamer (daemon mode only); unset or
 * `none` keeps the default (viewing requests are refused), so a lab that does not ask is unchanged.
 * TLS to coturn (turns:) is verified against the same trust store as the cloud (the process's).
 * The WebRTC stack is loaded only then: it is a third of what a gateway loads at start, and a
 * gateway on a user's machine never streams its screen.
 */
export async function screenStreamerFromEnv(
  env: NodeJS.ProcessEnv,
  mode: GatewayMode,
  logger: Logger,
  fail: Fail,
): Promise<Factory | undefined> {
  const kind = env.GATEWAY_SCREEN_STREAMER ?? 'none';
  if (kind === 'none') return undefined;
  if (kind !== 'webrtc') fail(`GATEWAY_SCREEN_STREAMER must be none or webrtc, not ${JSON.stringify(kind)}`);
  if (mode !== 'daemon') fail('GATEWAY_SCREEN_STREAMER=webrtc needs GATEWAY_MODE=daemon (a cloud desktop)');
  const fps = Number(env.GATEWAY_SCREEN_FPS ?? 10);
  if (!(fps > 0 && fps <= 60)) fail('GATEWAY_SCREEN_FPS must be a number of frames per second between 0 and 60');
  const transport = (env.GATEWAY_TURN_TRANSPORT ?? 'udp') as TurnTransport | 'none';
  if (!TRANSPORTS.includes(transport)) fail('GATEWAY_TURN_TRANSPORT must be udp, tcp, tls or none (STUN only)');
  const connectTimeoutMs = Number(env.GATEWAY_WEBRTC_CONNECT_TIMEOUT_MS ?? 20_000);
  if (!(Number.isInteger(connectTimeoutMs) && connectTimeoutMs > 0))
    fail('GATEWAY_WEBRTC_CONNECT_TIMEOUT_MS must be a positive number of milliseconds');
  const frameBytes = Number(env.GATEWAY_SCREEN_FRAME_BYTES ?? 0);
  if (!(Number.isInteger(frameBytes) && frameBytes >= 0 && frameBytes <= 1_000_000))
    fail('GATEWAY_SCREEN_FRAME_BYTES must be a whole number of bytes from 0 to 1000000');
  const canary = env.GATEWAY_SCREEN_CANARY;
  if (canary !== undefined && !/^[\x21-\x7e]{8,64}$/.test(canary))
    fail('GATEWAY_SCREEN_CANARY must be 8 to 64 printable ASCII characters without spaces');
  const hostAddresses = env.GATEWAY_WEBRTC_HOST_ADDRESSES?.split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  const { WebrtcScreenStreamer } = await import('./webrtc-streamer.ts');

  return ({ workspace, dispatcher }) =>
    new WebrtcScreenStreamer({
      logger,
      framesPerSecond: fps,
      connectTimeoutMs,
      ...(canary ? { canary } : {}),
      frameBytes,
      hostAddresses,
      iceServers: () => {
        const ws = workspace();
        if (!ws) throw new Error('the gateway is not linked to a workspace');
        return turnIceServers({ cloudUrl: ws.cloudUrl, token: ws.authToken, dispatcher, transport });
      },
    });
}
