import { ProviderCallsResponse, RegisterKeyResponse } from '@multiclaw-lab/protocol';
import { z } from 'zod';
import { AdminSocketClient } from '../common/admin-client.ts';
import { KeyListResponse } from './admin-api.ts';

/** The lab harness's hold on the LLM provider: its admin socket, typed. */
export class LlmAdminClient extends AdminSocketClient {
  /** Registers a key and returns its fingerprint. */
  async registerKey(apiKey: string): Promise<string> {
    return (await this.request('POST', '/admin/keys', RegisterKeyResponse, { apiKey })).fingerprint;
  }

  async revokeKey(fingerprint: string): Promise<void> {
    await this.request('DELETE', `/admin/keys/${encodeURIComponent(fingerprint)}`, z.undefined());
  }

  async listKeys(): Promise<z.infer<typeof KeyListResponse>['keys']> {
    return (await this.request('GET', '/admin/keys', KeyListResponse)).keys;
  }

  async calls(): Promise<z.infer<typeof ProviderCallsResponse>['calls']> {
    return (await this.request('GET', '/admin/calls', ProviderCallsResponse)).calls;
  }
}
