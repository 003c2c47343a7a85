/**
 * The program behind SsmTransport.stream(): finds the instance of a lab host (the same lookup as
 * run(), through the SDK), then runs `aws ssm start-session` with this program's stdio, passes
 * on the signals it gets, and exits as the CLI does. It exists because stream() must hand back a
 * child process at once, while the instance id is only known after an API call.
 *
 * argv[2]: JSON of StreamRequest. Credentials come from the environment, as for the CLI.
 */
import { spawn } from 'node:child_process';
import { awsClients } from './clients.ts';
import { InstanceDirectory } from './instances.ts';
import { startSessionArgv, streamToolsMissing } from './session.ts';

export interface StreamRequest {
  region: string;
  stack: string;
  hostId: string;
  script: string;
  profile?: string;
  endpoint?: string;
}

async function main(): Promise<number> {
  const request = JSON.parse(process.argv[2] ?? '{}') as StreamRequest;
  const clients = awsClients({
    region: request.region,
    ...(request.endpoint ? { endpoint: request.endpoint } : {}),
    ...(request.profile ? { profile: request.profile } : {}),
  });
  let instanceId: string;
  try {
    ({ instanceId } = await new InstanceDirectory(clients.ec2, request.stack).resolve(request.hostId));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 1;
  } finally {
    clients.destroy();
  }
  const argv = startSessionArgv({
    instanceId,
    region: request.region,
    script: request.script,
    ...(request.profile ? { profile: request.profile } : {}),
    ...(request.endpoint ? { endpoint: request.endpoint } : {}),
  });
  const child = spawn('aws', argv, { stdio: 'inherit' });
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  return new Promise<number>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      process.stderr.write(`${streamToolsMissing(err.code === 'ENOENT' ? 'there is no aws command on PATH' : err.message)}\n`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

process.exitCode = await main();
