/**
 * `lab up`: makes the topology real with a driver, starts every service in its host as soon as
 * what it needs is there, provisions the demo workspace, signs the desktops in, checks every
 * service's health, and only then builds the Lab from the finished parts. A failure anywhere
 * takes down everything made so far and names the stage that failed.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CdnAdminClient, LlmAdminClient } from '@multiclaw-lab/external';
import { startCoturn } from '@multiclaw-lab/infra';
import { addressOf, buildTopology, netnsDriver, PUBLIC_NAMES } from '@multiclaw-lab/network';
import { createLabCA, writeServerCertificate, writeTrustStore } from '@multiclaw-lab/pki';
import { CloudApi } from '../cloud-api.ts';
import { prepareComponents } from '../components.ts';
import { type ClientsContext, signInDesktops, startCloudDesktops, startDesktopApps } from './clients.ts';
import {
  CLOUD_BALANCER_SOCKET,
  CLOUD_INSTANCE_ADDRESS,
  checkCloudInstances,
  cloudBalancerDef,
  cloudInstances,
  haproxyConfig,
} from './cloud-balancer.ts';
import { bridgeDef, cdnDef, cloudDef, llmDef } from './definitions.ts';
import { stunBinding } from './health.ts';
import { hostFiles, runnerIn } from './hosts.ts';
import { Lab, labScreen } from './lab.ts';
import { coturnMutant, findMutant } from './mutant.ts';
import { preparePostgres } from './postgres.ts';
import { provisionDemo } from './provision.ts';
import { ServiceRegistry } from './registry.ts';
import { cloudSidePeers } from './relay-policy.ts';
import type { RunOptions } from './service.ts';
import { type SiteLink, siteLinkDef } from './site-link.ts';
import { removeLabState, takeDown } from './teardown.ts';
import { LabStartError, type StartLabOptions } from './types.ts';

async function secretFile(dir: string, name: string, bytes: number): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, randomBytes(bytes).toString('hex'), { mode: 0o600 });
  return file;
}

export async function startLab(options: StartLabOptions): Promise<Lab> {
  const progress = (phase: string, detail: string, done = false) => options.onProgress?.({ phase, detail, done });
  const prefix = options.prefix ?? 'mcl';
  const stateDir = options.stateDir;
  const logLevel = options.logLevel ?? 'info';
  const startedAt = new Date().toISOString();
  // an unknown mutant is refused before anything is made
  const mutant = options.mutant === undefined ? undefined : findMutant(options.mutant);
  const cloudCount = checkCloudInstances(options.cloudInstances);
  const topology = buildTopology({ sites: options.sites, desktops: options.desktops, cloudDesktops: options.cloudDesktops });
  for (const sub of ['logs', 'run', 'pki', 'secrets']) await mkdir(join(stateDir, sub), { recursive: true });
  await chmod(join(stateDir, 'secrets'), 0o700);
  const runDir = join(stateDir, 'run');

  progress('network', `creating ${topology.hosts.length} hosts (${prefix}-*)`);
  // the components' bundles are checked (and rebuilt when the sources changed) meanwhile
  const components = prepareComponents((message) => progress('components', message));
  const makeDriver = options.driver ?? netnsDriver;
  const driverReady = makeDriver(topology, {
    prefix,
    stateDir,
    onProgress: (detail: string) => progress('network', detail),
  });
  // PostgreSQL's files are laid out meanwhile too (a copy of a cached empty cluster)
  const pgDir = join(stateDir, 'pg');
  const pgPrepared = mkdir(pgDir, { recursive: true }).then(() =>
    preparePostgres(driverReady, {
      dir: pgDir,
      listen: addressOf(topology, 'db'),
      allow: '198.18.1.10',
      // each cloud instance pools up to 20 connections and listens on one more
      maxConnections: Math.max(100, 25 * cloudCount + 20),
    }),
  );
  pgPrepared.catch(() => undefined); // awaited below, once there is a lab to take down
  // a driver whose up() fails removes what it made itself
  const driver = await driverReady.catch((err: unknown) => {
    throw new LabStartError('making the hosts', err);
  });
  const ca = await createLabCA({ name: `MultiClaw Lab CA (${prefix})` }).catch(async (err: unknown) => {
    const left = await takeDown([() => driver.down(), () => removeLabState(stateDir)]);
    throw new LabStartError('making the lab CA', err, left);
  });
  const registry = new ServiceRegistry(driver, stateDir, mutant);
  const links = new Map<string, SiteLink>();
  const instances = new Map<string, string>();
  const screen = labScreen();
  const files = (hostId: string) => hostFiles(driver, hostId);
  const hostsByRole = (role: string) => topology.hosts.filter((h) => h.role === role);
  let api: CloudApi | undefined;
  let phase = 'preparing hosts';
  /** the first of the concurrent stages below that failed, which is what lab up reports */
  let failed: { phase: string; err: unknown } | undefined;
  const stage = <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const running = run();
    running.catch((err: unknown) => {
      failed ??= { phase: name, err };
    });
    return running;
  };
  let lab: Lab | undefined;
  try {
    await Promise.all(
      topology.hosts.map(async (host) => {
        const f = files(host.id);
        await mkdir(f.home, { recursive: true, mode: 0o700 });
        await writeTrustStore(f.trustDir, [ca]);
      }),
    );
    const pki = join(stateDir, 'pki');
    const leaf = async (name: string) => writeServerCertificate(pki, name, await ca.issue([name]));
    const tls = {
      api: await leaf(PUBLIC_NAMES.api),
      cdn: await leaf(PUBLIC_NAMES.cdn),
      llm: await leaf(PUBLIC_NAMES.llm),
      turn: await leaf(PUBLIC_NAMES.turn),
    };
    const secretsDir = join(stateDir, 'secrets');
    const secrets = {
      tokenSecret: await secretFile(secretsDir, 'token-secret', 32),
      masterKey: await secretFile(secretsDir, 'master-key', 32),
      turnSecret: await secretFile(secretsDir, 'turn-secret', 24),
      // the instances behind HAProxy are one TLS endpoint to the apps, as the ALB is on AWS: a
      // session ticket from one resumes on any
      tlsTicketKeys: await secretFile(secretsDir, 'tls-ticket-keys', 48),
    };

    // Services start as soon as what they need is there, not one after another: most of lab up
    // is processes loading, and independent ones load side by side. The apps on the desktop
    // hosts, needed only once the workspace is provisioned, start with a lower CPU priority, so on
    // a small machine they do not slow down the path to it (PostgreSQL, the cloud, the CDN).
    phase = 'starting services';
    const meanwhile: RunOptions = { startNiceness: 10 };
    const pgReady = stage('starting PostgreSQL', async () => {
      progress('services', 'PostgreSQL on db');
      const pg = await pgPrepared;
      await registry.start({ id: 'postgres', host: 'db', ...pg.def });
      return pg;
    });
    // The Node services start once PostgreSQL is up: until then its files are being copied
    // (CPU-bound in the kernel), which a dozen processes loading at once would slow down.
    const servicesMayStart = Promise.all([components, pgReady]);

    const cloudReady = stage('starting the cloud', async () => {
      const pg = await pgReady;
      await servicesMayStart;
      const cloud = {
        host: 'cloud',
        address: addressOf(topology, 'cloud'),
        files: files('cloud'),
        tls: tls.api,
        databaseUrl: pg.databaseUrl('postgres'),
        secrets,
        logLevel,
      };
      if (cloudCount === 1) {
        progress('services', 'MultiClaw Cloud on cloud');
        await registry.start(cloudDef(cloud));
      } else {
        progress('services', `MultiClaw Cloud on cloud: ${cloudCount} instances behind HAProxy`);
        const instances = cloudInstances(cloudCount);
        // side by side: the cloud's migrations take an advisory lock, so concurrent starts take turns
        await Promise.all(
          instances.map((i) =>
            registry.start(cloudDef({ ...cloud, instance: { id: i.id, address: CLOUD_INSTANCE_ADDRESS, port: i.port } })),
          ),
        );
        const configFile = join(runDir, 'cloud-lb.cfg');
        const adminSocket = join(runDir, CLOUD_BALANCER_SOCKET);
        await writeFile(
          configFile,
          haproxyConfig({ address: cloud.address, instances, adminSocket, caFile: cloud.files.trustBundle }),
          { mode: 0o600 },
        );
        await registry.start(cloudBalancerDef({ host: 'cloud', configFile }));
      }
      const apiSocket = join(runDir, 'cloud-api.sock');
      await registry.start(
        bridgeDef({ id: 'cloud-bridge', host: 'cloud', socketPath: apiSocket, target: addressOf(topology, 'cloud'), port: 443 }),
      );
      api = new CloudApi(`https://${PUBLIC_NAMES.api}`, ca.certPem, { socketPath: apiSocket });
      return api;
    });

    const llmCdnReady = stage('starting the LLM provider and the CDN', async () => {
      await servicesMayStart;
      progress('services', 'LLM provider on llm, update CDN on cdn');
      const llmSocket = join(runDir, 'llm-admin.sock');
      const cdnSocket = join(runDir, 'cdn-admin.sock');
      await Promise.all([
        registry.start(
          llmDef({
            host: 'llm',
            address: addressOf(topology, 'llm'),
            files: files('llm'),
            tls: tls.llm,
            adminSocket: llmSocket,
            logLevel,
          }),
        ),
        registry.start(
          cdnDef({
            host: 'cdn',
            address: addressOf(topology, 'cdn'),
            files: files('cdn'),
            tls: tls.cdn,
            adminSocket: cdnSocket,
            logLevel,
          }),
        ),
      ]);
      const cdnAdmin = new CdnAdminClient(cdnSocket);
      return { llmAdmin: new LlmAdminClient(llmSocket), cdnAdmin, updatePublicKey: await cdnAdmin.publicKey() };
    });

    const coturnReady = stage('starting the TURN relay', async () => {
      progress('services', 'coturn on relay');
      const turnSecret = (await readFile(secrets.turnSecret, 'utf8')).trim();
      await registry.start({
        id: 'coturn',
        kind: 'coturn',
        host: 'relay',
        health: stunBinding(addressOf(topology, 'relay')),
        command: 'turnserver',
        args: [],
        env: {},
        start: async () =>
          (
            await startCoturn(runnerIn(driver, 'relay'), {
              listeningIp: addressOf(topology, 'relay'),
              certFile: tls.turn.certFile,
              keyFile: tls.turn.keyFile,
              staticAuthSecret: turnSecret,
              realm: 'multiclaw.test',
              // a relay must not become a way into the cloud's own hosts: the cloud, its database,
              // the CDN and the LLM replica are never peers (cloud desktops and sites are)
              deniedPeers: coturnMutant(mutant, 'turn-relays-to-private-segment') ? [] : cloudSidePeers(topology),
              tls: !coturnMutant(mutant, 'turn-no-tls-on-443'),
              // the pages list 443 (TLS) and 3478/5349 UDP for the relay: no plain TCP listener
              plainTcp: false,
              stateDir: join(stateDir, 'run', 'coturn'),
            })
          ).process,
      });
    });

    const linksReady = stage("starting the sites' links (toxiproxy)", () =>
      Promise.all(
        topology.sites.map((site) => {
          progress('services', `toxiproxy on ${site.router}: the link of site ${site.id}`);
          return registry.start(
            siteLinkDef({
              site,
              driver,
              runner: runnerIn(driver, site.router),
              runDir,
              onReady: (link) => links.set(site.id, link),
            }),
          );
        }),
      ),
    );

    const clients: ClientsContext = { registry, files, logLevel, progress };
    const appsReady = stage('starting desktops and gateways', async () => {
      await servicesMayStart;
      await startDesktopApps(clients, hostsByRole('desktop'), async () => (await llmCdnReady).updatePublicKey, meanwhile);
    });

    const provisioned = stage('provisioning the demo workspace', async () => {
      const [cloudApi, { llmAdmin }] = await Promise.all([cloudReady, llmCdnReady]);
      progress('provision', 'accounts, workspace, agent and key');
      return provisionDemo(cloudApi, llmAdmin, hostsByRole('desktop'));
    });

    const daemonsReady = stage('starting the cloud desktops', async () => {
      const [demo, cloudApi] = await Promise.all([provisioned, cloudReady, components]);
      await startCloudDesktops(clients, hostsByRole('cloud-desktop'), cloudApi, demo, screen, instances);
    });

    const signedIn = stage('signing in desktops and linking gateways', async () => {
      const [demo] = await Promise.all([provisioned, appsReady]);
      await signInDesktops(clients, hostsByRole('desktop'), demo);
    });
    // everything settles before a failure is reported, so teardown finds every process started
    const stages = [pgReady, cloudReady, llmCdnReady, coturnReady, linksReady, appsReady, provisioned, daemonsReady, signedIn];
    await Promise.allSettled(stages);
    await Promise.all(stages);

    const { llmAdmin, cdnAdmin, updatePublicKey } = await llmCdnReady;
    lab = new Lab({
      prefix,
      stateDir,
      logLevel,
      startedAt,
      topology,
      driver,
      ca,
      registry,
      links,
      api: await cloudReady,
      llmAdmin,
      cdnAdmin,
      updatePublicKey,
      demo: await provisioned,
      instances,
      screen,
    });

    phase = 'checking health';
    progress('health', 'every service');
    let status = await lab.status();
    // a check can miss on a loaded machine (each gives up after a few seconds): ask again before failing
    for (let attempt = 2; attempt <= 3 && status.services.some((s) => !s.healthy); attempt++) {
      const waiting = status.services.filter((s) => !s.healthy).map((s) => `${s.id} (${s.detail})`);
      progress('health', `not healthy yet: ${waiting.join(', ')}; checking again (${attempt}/3)`);
      status = await lab.status();
    }
    const sick = status.services.filter((s) => !s.healthy);
    if (sick.length > 0) throw new Error(`not healthy: ${sick.map((s) => `${s.id} (${s.detail})`).join(', ')}`);
    progress('health', `${status.services.length} services healthy`, true);
    return lab;
  } catch (err) {
    const cause = failed ?? { phase, err };
    progress('cleanup', `failed while ${cause.phase}; taking down what was made`);
    const built = lab;
    const left = built
      ? await takeDown([() => built.down()])
      : await takeDown([() => registry.stopAll(), async () => api?.close(), () => driver.down(), () => removeLabState(stateDir)]);
    throw new LabStartError(cause.phase, cause.err, left);
  }
}
