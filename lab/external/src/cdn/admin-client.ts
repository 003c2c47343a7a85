import { AdminSocketClient } from '../common/admin-client.ts';
import { type PublishReleaseRequest, ReleasesResponse, type ReleaseView, ReleaseView as ReleaseViewSchema } from './admin-api.ts';

/** The lab harness's hold on the update CDN: its admin socket, typed. */
export class CdnAdminClient extends AdminSocketClient {
  publish(release: PublishReleaseRequest): Promise<ReleaseView> {
    return this.request('POST', '/admin/releases', ReleaseViewSchema, release);
  }

  async releases(): Promise<ReleaseView[]> {
    return (await this.request('GET', '/admin/releases', ReleasesResponse)).releases;
  }

  /** The signing key's .pub text: what the desktop app has built in. */
  publicKey(): Promise<string> {
    return this.requestText('GET', '/admin/public-key');
  }
}
