/**
 * The cloud desktop under measurement, as its own process: the reference daemon gateway
 * (`startGateway` from @multiclaw-lab/gateway) with its WebRTC screen streamer configured for one
 * bench mode. Its own process so its CPU is its own and its event loop is not the viewers'.
 * Started by streamer-child.ts; configured by environment variables:
 *   HOME                                         the daemon's ~/.openclaw
 *   BENCH_CLOUD_URL, BENCH_WORKSPACE_ID, BENCH_INSTANCE_ID, BENCH_INSTANCE_TOKEN   provisioning
 *   BENCH_TURN        none | udp | tcp | tls     which ICE server the streamer asks the cloud for
 *   BENCH_RELAY_ONLY  1: iceTransportPolicy relay (the stream leaves through coturn)
 *   BENCH_FPS, BENCH_CANARY, BENCH_FRAME_BYTES, BENCH_MAX_SESSIONS
 * A stdin line `{"id":N}` is answered with a log line `{"event":"bench.stats","id":N,...stats}`.
 * SSL_CERT_FILE names the trust store (the stack's CA), as for the real daemon.
 */
import { createInterface } from 'node:readline';
import { startGateway, turnIceServers, WebrtcScreenStreamer } from '@multiclaw-lab/gateway';
import { createLogger, logReady, useSystemTrustStore } from '@multiclaw-lab/kit';
import { exitWithParent } from '../exit-with-parent.ts';

const logger = createLogger({ service: 'bench-streamer' });

function env(name: string): string {
  const value = process.env[name];
  if (!value) {
    logger.fatal({ event: 'config.missing', variable: name }, `${name} is not set`);
    process.exit(2);
  }
  return value;
}

const turn = env('BENCH_TURN');
if (turn !== 'none' && turn !== 'udp' && turn !== 'tcp' && turn !== 'tls') {
  logger.fatal({ event: 'config.invalid', variable: 'BENCH_TURN' }, 'BENCH_TURN must be none, udp, tcp or tls');
  process.exit(2);
}
useSystemTrustStore();

let streamer: WebrtcScreenStreamer | undefined;
const gateway = await startGateway({
  home: env('HOME'),
  mode: 'daemon',
  logger,
  provision: {
    cloudUrl: env('BENCH_CLOUD_URL'),
    workspaceId: env('BENCH_WORKSPACE_ID'),
    instanceId: env('BENCH_INSTANCE_ID'),
    authToken: env('BENCH_INSTANCE_TOKEN'),
  },
  screenStreamer: ({ workspace, dispatcher }) => {
    streamer = new WebrtcScreenStreamer({
      logger,
      framesPerSecond: Number(env('BENCH_FPS')),
      canary: env('BENCH_CANARY'),
      frameBytes: Number(env('BENCH_FRAME_BYTES')),
      maxSessions: Number(env('BENCH_MAX_SESSIONS')),
      iceTransportPolicy: process.env.BENCH_RELAY_ONLY === '1' ? 'relay' : 'all',
      hostAddresses: ['127.0.0.1'],
      connectTimeoutMs: 20_000,
      iceServers: () => {
        const ws = workspace();
        if (!ws) throw new Error('the bench daemon is not linked');
        return turnIceServers({ cloudUrl: ws.cloudUrl, token: ws.authToken, dispatcher, transport: turn });
      },
    });
    return streamer;
  },
});

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  let id: unknown;
  try {
    ({ id } = JSON.parse(line) as { id?: unknown });
  } catch {
    return;
  }
  const { recentInputs: _inputs, ...stats } = streamer?.stats() ?? { recentInputs: [] };
  logger.info({ event: 'bench.stats', id, ...stats });
});

exitWithParent(commands, () => gateway.close());

logReady(logger, { url: gateway.url });
