import { chmod, chown, lstat, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { LabError } from '@multiclaw-lab/kit';
import type { FastifyInstance } from 'fastify';

/**
 * Admin APIs listen on a unix socket only: the lab harness reaches them out of band, the
 * simulated network cannot. Mode 0600 so only the owning account can connect; it is set before
 * the service reports ready, and nothing connects before that. The owning account is the owner
 * of the folder the socket is in (the harness's user), also when the service runs as root in a
 * container for a harness that is not root.
 */
export async function listenOnAdminSocket(app: FastifyInstance, socketPath: string): Promise<void> {
  await removeStaleSocket(socketPath);
  await app.listen({ path: socketPath });
  await chmod(socketPath, 0o600);
  if (process.getuid?.() === 0) {
    const folder = await stat(dirname(socketPath));
    await chown(socketPath, folder.uid, folder.gid);
  }
}

/**
 * A socket left by a killed run would make listen fail with EADDRINUSE, so it is removed; a socket
 * someone still listens on, or any other file, is not ours to delete.
 */
async function removeStaleSocket(socketPath: string): Promise<void> {
  const stat = await lstat(socketPath).catch(() => undefined);
  if (!stat) return;
  const hint = 'choose another admin socket path, or stop what uses that one';
  if (!stat.isSocket()) throw new LabError('LAB_ADMIN_SOCKET_PATH', `${socketPath} exists and is not a socket`, { hint });
  if (await isListening(socketPath)) {
    throw new LabError('LAB_ADMIN_SOCKET_PATH', `another process listens on ${socketPath}`, { hint });
  }
  await unlink(socketPath);
}

function isListening(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
