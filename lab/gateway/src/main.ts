import { homedir } from 'node:os';
import { createLogger, LabError, logReady, useSystemTrustStore } from '@multiclaw-lab/kit';
import { GatewayMode } from '@multiclaw-lab/protocol';
import { startGateway } from './gateway.ts';
import { screenStreamerFromEnv } from './screen-streamer-env.ts';

/**
 * Process entry. Environment:
 *   HOME                      whose ~/.openclaw to use
 *   GATEWAY_MODE              local (default) | daemon
 *   GATEWAY_LOCAL_PORT        local API port on 127.0.0.1 (default 0: any free port)
 *   GATEWAY_CLOUD_URL, GATEWAY_WORKSPACE_ID, GATEWAY_INSTANCE_ID, GATEWAY_INSTANCE_TOKEN
 *                             daemon provisioning, written into openclaw.json on first start
 *   GATEWAY_SCREEN_STREAMER   none (default: viewing requests are refused) | webrtc (daemon mode only)
 *   GATEWAY_SCREEN_FPS        frames per second of the synthetic screen (webrtc; default 10)
 *   GATEWAY_TURN_TRANSPORT    udp (default) | tcp | tls: which of the cloud's TURN URLs the desktop uses
 *   GATEWAY_WEBRTC_HOST_ADDRESSES  comma list: direct candidates only on these (lab: 127.0.0.1)
 *   GATEWAY_WEBRTC_CONNECT_TIMEOUT_MS  give up on a viewer that does not connect (default 20000)
 */
const logger = createLogger({ service: 'gateway' });

function fail(message: string, hint?: string): never {
  logger.fatal({ event: 'start.failed', hint }, message);
  process.exit(1);
}

function provisioning(env: NodeJS.ProcessEnv) {
  const names = ['GATEWAY_CLOUD_URL', 'GATEWAY_WORKSPACE_ID', 'GATEWAY_INSTANCE_ID', 'GATEWAY_INSTANCE_TOKEN'] as const;
  const present = names.filter((n) => env[n]);
  if (present.length === 0) return undefined;
  if (present.length !== names.length) {
    fail(`daemon provisioning needs all of ${names.join(', ')}; missing ${names.filter((n) => !env[n]).join(', ')}`);
  }
  if (!env.GATEWAY_CLOUD_URL!.startsWith('https://')) fail('GATEWAY_CLOUD_URL must be an https:// URL');
  if (!env.GATEWAY_INSTANCE_TOKEN!.startsWith('mci_')) fail('GATEWAY_INSTANCE_TOKEN must be an instance token (mci_…)');
  return {
    cloudUrl: env.GATEWAY_CLOUD_URL!,
    workspaceId: env.GATEWAY_WORKSPACE_ID!,
    instanceId: env.GATEWAY_INSTANCE_ID!,
    authToken: env.GATEWAY_INSTANCE_TOKEN!,
  };
}

const mode = GatewayMode.safeParse(process.env.GATEWAY_MODE ?? 'local');
if (!mode.success) fail(`GATEWAY_MODE must be local or daemon, not ${JSON.stringify(process.env.GATEWAY_MODE)}`);
const localPort = Number(process.env.GATEWAY_LOCAL_PORT ?? 0);
if (!Number.isInteger(localPort) || localPort < 0 || localPort > 65535)
  fail('GATEWAY_LOCAL_PORT must be a port number (0 = any free port)');
const provision = provisioning(process.env);
if (provision && mode.data !== 'daemon') fail('GATEWAY_INSTANCE_TOKEN and friends are for GATEWAY_MODE=daemon');

const screenStreamer = await screenStreamerFromEnv(process.env, mode.data, logger, fail);

// TLS to the cloud and the LLM provider is verified against the OS trust store only.
const trusted = useSystemTrustStore();

try {
  const gateway = await startGateway({
    home: process.env.HOME ?? homedir(),
    mode: mode.data,
    localPort,
    logger,
    provision,
    ...(screenStreamer ? { screenStreamer } : {}),
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: 'shutdown', signal });
    gateway.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ event: 'shutdown.failed', err }, 'clean shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  logReady(logger, { url: gateway.url, port: gateway.port, mode: mode.data, trustedRoots: trusted });
} catch (err) {
  if (err instanceof LabError) fail(err.message, err.hint);
  throw err;
}
