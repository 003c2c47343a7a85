/**
 * How the aws driver reaches inside an instance. On AWS that is Systems Manager: Run Command
 * (AWS-RunShellScript) for scripts run to completion, a Session Manager session for a program
 * whose output streams. The driver itself only builds the scripts (instance-commands.ts) and
 * hands them to a transport, so the very same scripts can be run on a docker-driver host
 * (docker-transport.ts) to prove each takes effect and heals.
 */
import type { ChildProcess } from 'node:child_process';
import type { ExecResult } from '@multiclaw-lab/network';

/** A POSIX sh script run as root on an instance, with what it is for (shown in logs and errors). */
export interface InstanceCommand {
  readonly description: string;
  readonly script: string;
}

export interface InstanceTransport {
  /** where commands go, for messages ("SSM in eu-west-1, stack staging", "docker containers lab-…") */
  readonly where: string;
  /** runs a script to completion on the instance behind a lab host id; stdout is returned in full */
  run(hostId: string, command: InstanceCommand, options?: { timeoutMs?: number }): Promise<ExecResult>;
  /** starts a script whose stdout/stderr stream back while it runs; killing the child ends the stream, not necessarily the program */
  stream(hostId: string, command: InstanceCommand): ChildProcess;
}
