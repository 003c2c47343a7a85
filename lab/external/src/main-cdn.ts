import { createLogger } from '@multiclaw-lab/kit';
import { parseMinisignSecretKey } from '@multiclaw-lab/protocol';
import { startCdn } from './cdn/cdn.ts';
import { fileFromEnv, portFromEnv, requiredEnv, runMain } from './common/main-support.ts';

// Process entry of the lab update CDN; configuration in README.md.
const logger = createLogger({ service: 'cdn' });
await runMain(logger, async () =>
  startCdn({
    tls: {
      cert: fileFromEnv('CDN_TLS_CERT_FILE', 'the PEM certificate chain of cdn.multiclaw.test'),
      key: fileFromEnv('CDN_TLS_KEY_FILE', 'the PEM private key of that certificate'),
    },
    host: process.env.CDN_HOST || '127.0.0.1',
    port: portFromEnv('CDN_PORT', 443),
    adminSocketPath: requiredEnv('CDN_ADMIN_SOCKET', 'a path for the admin unix socket'),
    publicBaseUrl: process.env.CDN_PUBLIC_URL || undefined,
    signingKey: process.env.CDN_SIGNING_KEY_FILE
      ? parseMinisignSecretKey(fileFromEnv('CDN_SIGNING_KEY_FILE', 'an unencrypted minisign secret key (minisign -G -W)'))
      : undefined,
    logger,
  }),
);
