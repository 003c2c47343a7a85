/**
 * A Lab over services someone else runs: a deployed staging stack. Its cloud, LLM replica and
 * relay are the stack's own (followed, never started or stopped: see followed-service.ts); the
 * harness reaches the cloud through its public endpoint and the LLM replica's admin socket
 * through the driver (socket-bridges.ts), and runs the lab's clients on the stack's desktop and
 * cloud-desktop hosts exactly as `lab up` does (clients.ts), then provisions the demo workspace
 * and signs the desktops in. down() stops what the harness started and detaches; the stack stays.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LlmAdminClient } from '@multiclaw-lab/external';
import { LabError } from '@multiclaw-lab/kit';
import { collectExit, type LabDriver, PUBLIC_NAMES, type Topology } from '@multiclaw-lab/network';
import type { LabCA } from '@multiclaw-lab/pki';
import { CloudApi } from '../cloud-api.ts';
import { type ClientsContext, signInDesktops, startCloudDesktops, startDesktopApps } from './clients.ts';
import { type FollowedService, followedServiceDef } from './followed-service.ts';
import { hostFiles } from './hosts.ts';
import { Lab, labScreen } from './lab.ts';
import { provisionDemo } from './provision.ts';
import { ServiceRegistry } from './registry.ts';
import { bridgeToHostSocket, bridgeToTcp, type SocketBridge } from './socket-bridges.ts';
import { removeLabState, takeDown } from './teardown.ts';
import { LabStartError, type ProgressStep } from './types.ts';

export interface AttachLabOptions {
  prefix: string;
  stateDir: string;
  logLevel?: string;
  topology: Topology;
  /** a driver whose hosts are the stack's instances */
  driver: LabDriver;
  /** the stack's CA (its key is not kept after deploy: nothing can be issued) */
  caCertificate: string;
  /** where this machine reaches the cloud's public endpoint (the load balancer), TLS name api.<domain> */
  api: { host: string; port: number };
  /** the LLM replica's admin socket inside its host */
  llmAdmin: { hostId: string; socket: string };
  /** the stack's services the lab follows */
  services: FollowedService[];
  /** the cloud's database as text (the canary scans it): the stack knows where its database is */
  dumpDatabase: () => Promise<string>;
  /** the minisign key updates are signed with, built into the desktop apps (default: none, no update verifies) */
  updatePublicKey?: string;
  onProgress?: (step: ProgressStep) => void;
}

/** The stack's CA as the lab's: trusted by every client, but with no key to issue with. */
function certificateOnlyCa(certPem: string): LabCA {
  const noKey = () =>
    new LabError('LAB_UNSUPPORTED', 'the staging stack’s CA key is not kept after deploy: no certificate can be issued', {
      hint: 'a scenario that issues certificates declares ca-key and is skipped on this driver',
    });
  return {
    certPem,
    name: 'staging stack CA',
    get keyPem(): string {
      throw noKey();
    },
    issue: () => Promise.reject(noKey()),
  };
}

/** One shell line making a host's folders and its trust bundle (the CA, base64 in argv: no quoting). */
const PREPARE_HOST = 'umask 077; mkdir -p "$1" "$2" && chmod 0755 "$2" && printf %s "$4" | base64 -d > "$3" && chmod 0644 "$3"';

/**
 * Each host's folder (its HOME, profiles, configs) copied from the host into `into/<id>`, as a
 * gzip tar through the driver's exec (base64 on stdout: Run Command output is text).
 */
async function copyHostFolders(driver: LabDriver, hostIds: string[], into: string): Promise<void> {
  await Promise.all(
    hostIds.map(async (hostId) => {
      const r = await driver.exec(hostId, 'sh', ['-c', 'cd "$1" && tar -cz . | base64 -w0', 'copy', driver.hostDir(hostId)], {
        timeoutMs: 120_000,
      });
      if (r.code !== 0) throw new Error(`copying ${hostId}'s folder failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      const dir = join(into, hostId);
      await mkdir(dir, { recursive: true, mode: 0o700 });
      const archive = join(into, `${hostId}.tar.gz`);
      await writeFile(archive, Buffer.from(r.stdout.trim(), 'base64'), { mode: 0o600 });
      const unpacked = await collectExit(spawn('tar', ['-xzf', archive, '-C', dir], { stdio: 'pipe' }), 60_000);
      await rm(archive, { force: true });
      if (unpacked.code !== 0) throw new Error(`unpacking ${hostId}'s folder failed: ${unpacked.stderr.trim()}`);
    }),
  );
}

export async function attachLab(options: AttachLabOptions): Promise<Lab> {
  const progress = (phase: string, detail: string, done = false) => options.onProgress?.({ phase, detail, done });
  const { driver, topology, prefix, stateDir } = options;
  const logLevel = options.logLevel ?? 'info';
  const startedAt = new Date().toISOString();
  for (const sub of ['logs', 'run']) await mkdir(join(stateDir, sub), { recursive: true });
  await chmod(join(stateDir, 'run'), 0o700);
  const runDir = join(stateDir, 'run');
  const registry = new ServiceRegistry(driver, stateDir);
  const bridges: SocketBridge[] = [];
  const files = (hostId: string) => hostFiles(driver, hostId);
  const hostsByRole = (role: string) => topology.hosts.filter((h) => h.role === role);
  const clientHosts = [...hostsByRole('desktop'), ...hostsByRole('cloud-desktop')];
  const screen = labScreen();
  const ca = certificateOnlyCa(options.caCertificate);
  let phase = 'following the stack’s services';
  let api: CloudApi | undefined;
  let lab: Lab | undefined;
  try {
    progress('services', `following ${options.services.map((s) => `${s.id} on ${s.host}`).join(', ')}`);
    await Promise.all(options.services.map((s) => registry.start(followedServiceDef(driver, s))));

    phase = 'opening the bridges to the cloud and the LLM replica';
    const apiBridge = await bridgeToTcp(join(runDir, 'cloud-api.sock'), options.api);
    bridges.push(apiBridge);
    api = new CloudApi(`https://${PUBLIC_NAMES.api}`, ca.certPem, { socketPath: apiBridge.path });
    const llmBridge = await bridgeToHostSocket(join(runDir, 'llm-admin.sock'), driver, {
      hostId: options.llmAdmin.hostId,
      path: options.llmAdmin.socket,
    });
    bridges.push(llmBridge);
    const llmAdmin = new LlmAdminClient(llmBridge.path);

    phase = 'preparing the client hosts';
    const trust = Buffer.from(ca.certPem).toString('base64');
    await Promise.all(
      clientHosts.map(async (host) => {
        const f = files(host.id);
        const r = await driver.exec(host.id, 'sh', ['-c', PREPARE_HOST, 'prepare', f.home, f.trustDir, f.trustBundle, trust]);
        if (r.code !== 0) throw new Error(`preparing ${host.id}'s folders failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      }),
    );

    const clients: ClientsContext = { registry, files, logLevel, progress };
    // a stack has an update key only when configured with one: without, no update verifies
    const updatePublicKey = options.updatePublicKey ?? '';
    phase = 'starting desktops and gateways';
    await startDesktopApps(clients, hostsByRole('desktop'), async () => updatePublicKey);
    phase = 'provisioning the demo workspace';
    progress('provision', 'accounts, workspace, agent and key');
    const demo = await provisionDemo(api, llmAdmin, hostsByRole('desktop'));
    phase = 'starting the cloud desktops';
    const instances = new Map<string, string>();
    await startCloudDesktops(clients, hostsByRole('cloud-desktop'), api, demo, screen, instances);
    phase = 'signing in desktops and linking gateways';
    await signInDesktops(clients, hostsByRole('desktop'), demo);

    lab = new Lab({
      prefix,
      stateDir,
      logLevel,
      startedAt,
      topology,
      driver,
      ca,
      registry,
      links: new Map(),
      api,
      llmAdmin,
      updatePublicKey,
      demo,
      instances,
      screen,
      closers: bridges.map((b) => () => b.close()),
      remote: {
        copyHostFolders: () =>
          copyHostFolders(
            driver,
            clientHosts.map((h) => h.id),
            join(stateDir, 'hosts'),
          ),
        dumpDatabase: options.dumpDatabase,
      },
    });
    phase = 'checking health';
    const sick = (await lab.status()).services.filter((s) => !s.healthy);
    if (sick.length > 0) throw new Error(`not healthy: ${sick.map((s) => `${s.id} (${s.detail})`).join(', ')}`);
    progress('health', `${registry.ids().length} services healthy`, true);
    return lab;
  } catch (err) {
    progress('cleanup', `failed while ${phase}; stopping what the lab started and detaching`);
    const built = lab;
    const left = built
      ? await takeDown([() => built.down()])
      : await takeDown([
          () => registry.stopAll(),
          async () => api?.close(),
          ...bridges.map((b) => () => b.close()),
          () => driver.down(),
          () => removeLabState(stateDir),
        ]);
    throw new LabStartError(phase, err, left);
  }
}
