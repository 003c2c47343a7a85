/**
 * The aws driver's scripts delivered to docker-driver hosts instead of instances: `docker exec`
 * in place of Run Command (to completion) and of a Session Manager session (streaming). Nothing
 * else changes, so what the aws driver does on an instance is proven on a container: that each
 * fault takes effect and heals, captures capture, clocks move.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { collectExit, type ExecResult } from '@multiclaw-lab/network';
import type { InstanceCommand, InstanceTransport } from './transport.ts';

export class DockerTransport implements InstanceTransport {
  readonly where: string;
  readonly #container: (hostId: string) => string;

  /** `container` names the container of a lab host (the docker driver's containerName) */
  constructor(container: (hostId: string) => string) {
    this.#container = container;
    this.where = 'docker exec';
  }

  stream(hostId: string, command: InstanceCommand): ChildProcess {
    // only the docker client's own settings reach the client; the script sets the program's environment
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('DOCKER_') || k === 'PATH'));
    return spawn('docker', ['exec', '-i', this.#container(hostId), 'sh', '-c', command.script], { env, stdio: 'pipe' });
  }

  run(hostId: string, command: InstanceCommand, options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    return collectExit(this.stream(hostId, command), options.timeoutMs);
  }
}
