import { openApiDocument, ROUTE_LIST } from '@multiclaw-lab/protocol';
import { describe, expect, it } from 'vitest';
import { perDeviceRevocations, revokingOperations } from './revocation-surface.ts';

const reference = openApiDocument(ROUTE_LIST, { version: 'test' });

describe('the per-device revocation judgment', () => {
  it('finds the reference API revoking per user only: sign-out, password change, removal, forced sign-out', () => {
    expect(perDeviceRevocations(reference)).toEqual([]);
    expect(revokingOperations(reference).map((o) => `${o.method} ${o.path}`)).toEqual([
      'POST /v1/auth/sign-out',
      'POST /v1/auth/password',
      'DELETE /v1/workspaces/{wid}/members/{uid}',
      'POST /v1/workspaces/{wid}/members/{uid}/sign-out',
    ]);
  });

  it('flags an operation that revokes one instance or session', () => {
    const withDevice = {
      paths: {
        ...reference.paths,
        '/v1/workspaces/{wid}/instances/{iid}/revoke': { post: { summary: "Revoke one gateway's workspace token" } },
      },
    };
    expect(perDeviceRevocations(withDevice).map((o) => o.path)).toEqual(['/v1/workspaces/{wid}/instances/{iid}/revoke']);
  });

  it('flags a session or device resource whatever its summary says', () => {
    const withSessions = {
      paths: { ...reference.paths, '/v1/me/sessions/{sid}': { delete: { summary: 'End this' } } },
    };
    expect(perDeviceRevocations(withSessions).map((o) => o.path)).toEqual(['/v1/me/sessions/{sid}']);
  });
});
