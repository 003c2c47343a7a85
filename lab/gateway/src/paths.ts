import { join } from 'node:path';
import { CONVERSATIONS_DIR, LOCAL_API_FILE, OPENCLAW_CONFIG_FILE, OPENCLAW_DIR } from '@multiclaw-lab/protocol';

/** Every file the gateway owns, relative to one HOME (the process's, or the `home` option). */
export interface GatewayPaths {
  home: string;
  dir: string;
  config: string;
  runDir: string;
  localApi: string;
  conversations: string;
  outboxDir: string;
  outboxLog: string;
  outboxCursor: string;
}

export function gatewayPaths(home: string): GatewayPaths {
  const dir = join(home, OPENCLAW_DIR);
  const outboxDir = join(dir, 'outbox');
  return {
    home,
    dir,
    config: join(home, OPENCLAW_CONFIG_FILE),
    runDir: join(home, LOCAL_API_FILE, '..'),
    localApi: join(home, LOCAL_API_FILE),
    conversations: join(home, CONVERSATIONS_DIR),
    outboxDir,
    outboxLog: join(outboxDir, 'task-status.jsonl'),
    outboxCursor: join(outboxDir, 'acked.json'),
  };
}
