import { createLogger } from '@multiclaw-lab/kit';
import { fileFromEnv, portFromEnv, requiredEnv, runMain } from './common/main-support.ts';
import { startLlmProvider } from './llm/provider.ts';

// Process entry of the lab LLM provider; configuration in README.md.
const logger = createLogger({ service: 'llm-provider' });
await runMain(logger, () =>
  startLlmProvider({
    tls: {
      cert: fileFromEnv('LLM_TLS_CERT_FILE', 'the PEM certificate chain of api.llm.test'),
      key: fileFromEnv('LLM_TLS_KEY_FILE', 'the PEM private key of that certificate'),
    },
    host: process.env.LLM_HOST || '127.0.0.1',
    port: portFromEnv('LLM_PORT', 443),
    adminSocketPath: requiredEnv('LLM_ADMIN_SOCKET', 'a path for the admin unix socket'),
    logger,
  }),
);
