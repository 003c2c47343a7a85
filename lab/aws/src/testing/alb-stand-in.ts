/**
 * The docker staging's stand-in for the stack's Application Load Balancer: one more base-image
 * container running socat, which terminates TLS with the API certificate the stack imports into
 * ACM (a lab-CA leaf for `api.<domain>`, sent with the CA as ACM sends the chain), TLS 1.2 at
 * least, and opens a TLS connection to the cloud instance's 443 for each client without
 * verifying it, as the ALB does with its targets. It relays bytes, so WebSockets pass as they
 * pass an HTTPS listener.
 *
 * Standing in is acceptable here: the ALB is a service AWS runs, not code of the lab's, and what
 * is under test is what sits behind it (the start-up scripts, the cloud, the harness attaching).
 * What it leaves out: host-based routing (`api.<llmDomain>` resolves to the LLM replica itself,
 * see docker-staging-plan.ts), health checks, X-Forwarded-* headers, and more than one target.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StandInStack } from '@multiclaw-lab/deploy/startup-testing';
import { docker } from '@multiclaw-lab/docker';

const IN_CONTAINER = '/alb';

/** Writes the listener's certificate and key into `dir`; returns the `docker run` mount. */
export async function writeListenerCertificate(dir: string, stack: StandInStack): Promise<string[]> {
  const { tls, secrets } = stack.tls;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  await writeFile(join(dir, 'api.pem'), `${tls.apiCertificate.trimEnd()}\n${tls.caCertificate.trimEnd()}\n`);
  await writeFile(join(dir, 'api.key'), secrets.apiTlsKey, { mode: 0o600 });
  return ['-v', `${dir}:${IN_CONTAINER}:ro`];
}

/** The container's command: one listener on 443, a new TLS connection to the target per client. */
export function albCommand(target: string): string[] {
  return [
    'socat',
    `OPENSSL-LISTEN:443,reuseaddr,fork,cert=${IN_CONTAINER}/api.pem,key=${IN_CONTAINER}/api.key,verify=0,openssl-min-proto-version=TLS1.2`,
    `OPENSSL:${target}:443,verify=0`,
  ];
}

/** Resolves once socat listens (bounded); throws with its own words when it stopped instead. */
export async function waitListening(container: string): Promise<void> {
  const listening = await docker([
    'exec',
    container,
    'sh',
    '-c',
    'i=0; until ss -Htln "sport = :443" | grep -q .; do i=$((i + 1)); [ "$i" -lt 100 ] || exit 1; sleep 0.1; done',
  ]);
  if (listening.code === 0) return;
  const logs = await docker(['logs', '--tail', '20', container]);
  throw new Error(`the load balancer stand-in does not listen on 443: ${listening.stderr}${logs.stdout}${logs.stderr}`);
}
