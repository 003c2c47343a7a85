import type { Clock, Logger } from '@multiclaw-lab/kit';
import type pg from 'pg';
import type { Passwords } from './auth/passwords.ts';
import type { WssTokens } from './auth/wss-tokens.ts';
import type { KeyProvider } from './crypto/key-provider.ts';
import type { Settings } from './options.ts';
import type { Cluster } from './realtime/cluster.ts';
import type { ConfigSyncer } from './realtime/config-sync.ts';
import type { Hub } from './realtime/hub.ts';
import type { RtcRelay } from './realtime/rtc-relay.ts';

/** Everything a route or a real-time handler needs, built once by startCloud. */
export interface Ctx {
  db: pg.Pool;
  clock: Clock;
  logger: Logger;
  keys: KeyProvider;
  tokens: WssTokens;
  passwords: Passwords;
  /** the sessions open in this process */
  hub: Hub;
  /** every cloud process sharing the database: revocations and pushes go through here */
  cluster: Cluster;
  sync: ConfigSyncer;
  rtc: RtcRelay;
  settings: Settings;
}

export const nowDate = (ctx: Pick<Ctx, 'clock'>): Date => new Date(ctx.clock.now());
