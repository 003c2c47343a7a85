import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { socketBridge } from './bridge.ts';
import { localRunner } from './runner.ts';

/** A TCP echo on loopback stands in for a service only its host can reach. */
let dir: string;
let echo: Server;
let port: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bridge-test-'));
  echo = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  port = (echo.address() as { port: number }).port;
});

afterAll(async () => {
  echo.close();
  await rm(dir, { recursive: true, force: true });
});

function roundTrip(socketPath: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath, () => socket.end(text));
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      got += chunk;
    });
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
  });
}

describe('the socket bridge', () => {
  it('forwards a unix socket to a TCP port, keeps the socket to its owner (0600), and removes it when stopped', async () => {
    const socketPath = join(dir, 'svc.sock');
    const bridge = await socketBridge(localRunner, socketPath, '127.0.0.1', port);
    try {
      expect(statSync(socketPath).mode & 0o777).toBe(0o600);
      expect(await roundTrip(socketPath, 'hello through the bridge')).toBe('hello through the bridge');
    } finally {
      // a failed check still stops the bridge: nothing of the test outlives it
      await bridge.stop();
    }
    expect(() => statSync(socketPath)).toThrow(/ENOENT/);
  });
});
