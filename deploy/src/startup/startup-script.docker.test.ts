/**
 * The cloud role's generated start-up script, run as cloud-init would (root, `sh`), in a
 * container of the docker driver's BASE image (no Node in it: the script must install it) with
 * no network at all. On the container's loopback: moto (S3 with the build, Secrets Manager with
 * the secrets, IMDS with the role credentials) and a TLS-only PostgreSQL whose certificate comes
 * from a lab CA, standing in for RDS (its CA file is served as the "RDS CA bundle"). Checked from
 * outside the service: its health URL, its account, its secret files, the script text, a second
 * run, and the failures a wrong checksum or a missing secret must give. Then, in the same
 * container, the desktop role (the lab CA in the OS trust store) and the LLM role (its health
 * wait). The SSM agent comes from a stand-in .deb served by moto's S3. The stand-ins are
 * testing/stand-ins.ts's, which the aws driver's docker staging runs too.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docker } from '@multiclaw-lab/docker';
import { labImageNames } from '@multiclaw-lab/docker/images';
import { createLabCA } from '@multiclaw-lab/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INSTANCE_CLOCK_FILE, INSTANCE_NODE_LINK } from '../instance-layout.ts';
import { CLOUDWATCH_AGENT_CONFIG, LAB_CA_VARIABLE, renderStartupScript, type StartupConfig } from './index.ts';
import {
  buildStandInAgents,
  CLOUDWATCH_AGENT_CTL,
  FIXTURES,
  makeStandInFixtures,
  STAND_IN_EXEC_ENV,
  type StandInAgents,
  type StandInFixtures,
  standInDatabase,
  standInStartupConfig,
  startStandIns,
} from './testing/stand-ins.ts';

const CONTAINER = `mcl-startup-${randomBytes(4).toString('hex')}`;
const DB_HOST = 'staging-db.rds.test';
const LOG_GROUP = '/multiclaw-lab/staging/components';

let fixtures: StandInFixtures;
let agents: StandInAgents;
let secretValues: Record<string, string>;
let labCaPem: string;
let arns: Record<string, string>;
let config: StartupConfig;
let script: string;
let firstRun: { code: number | null; stdout: string; stderr: string; seconds: number };

async function inContainer(command: string, options: string[] = []) {
  return docker(['exec', ...options, CONTAINER, 'sh', '-c', command]);
}

/** Writes the script where the container sees it and runs it as cloud-init does (root, sh). */
async function runScript(text: string, name: string) {
  await writeFile(join(fixtures.dir, name), text, { mode: 0o644 });
  const started = performance.now();
  const result = await docker(['exec', ...STAND_IN_EXEC_ENV, CONTAINER, 'sh', `${FIXTURES}/${name}`]);
  return { ...result, seconds: Math.round((performance.now() - started) / 100) / 10 };
}

function jsonLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Prints whether Node's own view of the OS trust store ('system') holds the certificate in argv[2]. */
const TRUSTS_LAB_CA = `import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { getCACertificates } from 'node:tls';
const want = new X509Certificate(readFileSync(process.argv[2])).fingerprint256;
console.log(getCACertificates('system').some((pem) => new X509Certificate(pem).fingerprint256 === want));
`;

/** Node's system store as a service sees it: no SSL_CERT_* or NODE_EXTRA_CA_CERTS in its environment. */
const nodeTrustsLabCa = async () =>
  (
    await inContainer(`env -i PATH=/usr/bin:/bin ${INSTANCE_NODE_LINK} ${FIXTURES}/trusts-lab-ca.mjs ${FIXTURES}/ca.pem`)
  ).stdout.trim();

describe('the cloud start-up script in a base-image container', () => {
  beforeAll(async () => {
    // one lab CA for everything here, the database stand-in's certificate included
    const ca = await createLabCA({ name: 'startup test CA' });
    labCaPem = ca.certPem;
    const db = await standInDatabase({ host: DB_HOST, name: 'multiclaw', user: 'cloud', ca });
    const llmTls = await ca.issue(['api.llm.test']);
    secretValues = {
      'cloud/token-secret': randomBytes(32).toString('hex'),
      'cloud/master-key': randomBytes(32).toString('hex'),
      'cloud/turn-secret': randomBytes(16).toString('hex'),
      'cloud/db': JSON.stringify({ username: 'cloud', password: db.password }),
      'lab/ca': ca.certPem,
      'llm/tls-cert': llmTls.chainPem,
      'llm/tls-key': llmTls.keyPem,
    };
    fixtures = await makeStandInFixtures({ secrets: secretValues, database: db });
    const { bundle } = fixtures;
    process.stderr.write(
      `[startup test] bundle: ${bundle.bytes} bytes (${bundle.unpackedBytes} unpacked, ${bundle.entries} entries, ${bundle.packages} packages) in ${bundle.seconds} s\n`,
    );
    await writeFile(join(fixtures.dir, 'ca.pem'), ca.certPem);
    await writeFile(join(fixtures.dir, 'trusts-lab-ca.mjs'), TRUSTS_LAB_CA);

    const { base } = await labImageNames();
    const run = await docker([
      'run',
      '-d',
      '--name',
      CONTAINER,
      '--network',
      'none',
      // as on an instance, binding 443 takes CAP_NET_BIND_SERVICE (Docker's default lets anyone)
      '--sysctl',
      'net.ipv4.ip_unprivileged_port_start=1024',
      // only so the test can read the service's /proc/PID/environ (the script does not need it)
      '--cap-add',
      'SYS_PTRACE',
      '--add-host',
      `${DB_HOST}:127.0.0.1`,
      ...fixtures.mounts,
      base,
      'sleep',
      'infinity',
    ]);
    expect(run.code, run.stderr).toBe(0);
    agents = await buildStandInAgents(fixtures, CONTAINER);
    arns = await startStandIns(CONTAINER, { database: true });

    config = standInStartupConfig(fixtures, agents, {
      hostId: 'cloud',
      role: 'cloud',
      secretFiles: {
        CLOUD_TOKEN_SECRET_FILE: arns['cloud/token-secret']!,
        CLOUD_MASTER_KEY_FILE: arns['cloud/master-key']!,
        CLOUD_TURN_SECRET_FILE: arns['cloud/turn-secret']!,
      },
      env: { CLOUD_TURN_URLS: 'turn:turn.staging.test:3478?transport=udp' },
      logGroup: LOG_GROUP,
      database: { host: DB_HOST, name: db.name, user: db.user, passwordSecretArn: arns['cloud/db']! },
    });
    script = renderStartupScript(config);
    firstRun = await runScript(script, 'user-data.sh');
    process.stderr.write(`[startup test] first run: ${firstRun.seconds} s, exit ${firstRun.code}\n`);
  }, 600_000);

  afterAll(async () => {
    await docker(['rm', '-f', CONTAINER]);
    await fixtures?.remove();
  });

  it('runs to the end, one JSON line per event, and says it started the unit in the background', () => {
    expect(firstRun.code, `${firstRun.stdout}\n${firstRun.stderr}`).toBe(0);
    const lines = jsonLines(firstRun.stdout);
    const events = lines.map((l) => l.event);
    expect(events).toEqual(
      expect.arrayContaining(['node.installed', 'bundle.installed', 'service.fallback', 'service.healthy', 'done']),
    );
    expect(lines.find((l) => l.event === 'service.fallback')?.reason).toMatch(/systemd is not PID 1/);
    expect(lines.filter((l) => l.event === 'secret.written')).toHaveLength(4);
  });

  it('installs the SSM agent package it was pointed at (the container has no systemd to start it)', async () => {
    const events = jsonLines(firstRun.stdout).map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['ssm-agent.installed', 'ssm-agent.fallback']));
    expect(events.indexOf('ssm-agent.installed')).toBeLessThan(events.indexOf('node.installed'));
    const installed = await inContainer('dpkg-query -W amazon-ssm-agent && amazon-ssm-agent');
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toBe('amazon-ssm-agent\t0.0.0-stand-in\namazon-ssm-agent stand-in: not the real agent\n');
  });

  it('installs the CloudWatch agent package and configures it to ship the service’s JSON lines (not started: no systemd)', async () => {
    const lines = jsonLines(firstRun.stdout);
    const events = lines.map((l) => l.event);
    expect(events).toEqual(expect.arrayContaining(['cloudwatch-agent.installed', 'cloudwatch-agent.fallback']));
    expect(events.indexOf('cloudwatch-agent.fallback')).toBeLessThan(events.indexOf('service.started'));
    const installed = await inContainer(`dpkg-query -W amazon-cloudwatch-agent && ${CLOUDWATCH_AGENT_CTL}`);
    expect(installed.code, installed.stderr).toBe(0);
    expect(installed.stdout).toBe(
      'amazon-cloudwatch-agent\t0.0.0-stand-in\namazon-cloudwatch-agent stand-in: not the real agent\n',
    );

    const file = await inContainer(`stat -c '%a %U' ${CLOUDWATCH_AGENT_CONFIG} && cat ${CLOUDWATCH_AGENT_CONFIG}`);
    expect(file.code, file.stderr).toBe(0);
    const [mode, ...json] = file.stdout.split('\n');
    expect(mode).toBe('644 root');
    const agentConfig = JSON.parse(json.join('\n')) as {
      logs: { logs_collected: { files: { collect_list: Array<Record<string, string>> } } };
    };
    const collect = agentConfig.logs.logs_collected.files.collect_list;
    expect(collect).toEqual([
      {
        file_path: '/var/log/multiclaw-lab/multiclaw-cloud.log',
        log_group_name: config.logGroup,
        log_stream_name: '{instance_id}/multiclaw-cloud',
      },
    ]);

    // the file the agent is told to read holds the service's own JSON lines, its ready line among them
    const log = await inContainer(`cat ${collect[0]!.file_path}`);
    expect(log.code, log.stderr).toBe(0);
    const serviceLines = log.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ready = serviceLines.find((l) => l.event === 'ready');
    expect(ready, log.stdout).toMatchObject({ service: expect.any(String), event: 'ready' });
  });

  it('serves GET https://127.0.0.1:443/healthz with status ok', async () => {
    const health = await inContainer('curl -sS -f -k https://127.0.0.1:443/healthz');
    expect(health.code, health.stderr).toBe(0);
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'ok' });
  });

  it('runs as its own account, with only CAP_NET_BIND_SERVICE', async () => {
    const ps = await inContainer(
      'pid=$(cat /run/multiclaw-lab/multiclaw-cloud.pid); ps -o user=,args= -p "$pid"; grep -E "^Cap(Eff|Bnd)" /proc/$pid/status',
    );
    expect(ps.code, ps.stderr).toBe(0);
    const [owner] = ps.stdout.trim().split(/\s+/);
    expect(owner).toBe('mc-cloud');
    expect(ps.stdout).toContain('/opt/multiclaw-lab/app/lab/cloud/src/main.ts');
    // 0x400: CAP_NET_BIND_SERVICE alone
    expect(ps.stdout).toMatch(/CapEff:\s+0000000000000400/);
    expect(ps.stdout).toMatch(/CapBnd:\s+0000000000000400/);
  });

  it('keeps each secret in a 0600 file owned by the service account, and the env file 0640', async () => {
    const files = await inContainer(
      'stat -c "%a %U %n" /etc/multiclaw-lab/secrets/multiclaw-cloud/* /etc/multiclaw-lab/multiclaw-cloud.env',
    );
    expect(files.code, files.stderr).toBe(0);
    const modes = Object.fromEntries(
      files.stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([mode, owner, path]) => [path!.split('/').at(-1), `${mode} ${owner}`]),
    );
    for (const name of ['cloud_token_secret', 'cloud_master_key', 'cloud_turn_secret', 'pgpass', 'tls.key'])
      expect(modes[name], name).toBe('600 mc-cloud');
    expect(modes['multiclaw-cloud.env']).toBe('640 root');
    const token = await inContainer('cat /etc/multiclaw-lab/secrets/multiclaw-cloud/cloud_token_secret');
    expect(token.stdout).toBe(secretValues['cloud/token-secret']);
  });

  it('never carries a secret value in the script, its output, the env file or the service environment', async () => {
    // another account's environ takes CAP_SYS_PTRACE (the container has it for this check alone)
    const env = await inContainer(
      'cat /etc/multiclaw-lab/multiclaw-cloud.env; tr "\\0" "\\n" < /proc/$(cat /run/multiclaw-lab/multiclaw-cloud.pid)/environ',
    );
    expect(env.stdout).toContain('DATABASE_URL=');
    expect(env.code, env.stderr).toBe(0);
    const dbPassword = (JSON.parse(secretValues['cloud/db']!) as { password: string }).password;
    for (const value of [...Object.values(secretValues), dbPassword]) {
      for (const [where, text] of [
        ['script', script],
        ['stdout', firstRun.stdout],
        ['stderr', firstRun.stderr],
        ['environment', env.stdout],
      ] as const)
        expect(text.includes(value), `${where} contains a secret`).toBe(false);
    }
  });

  it('is harmless to run again: nothing downloaded, the same process keeps serving', async () => {
    const pidBefore = (await inContainer('cat /run/multiclaw-lab/multiclaw-cloud.pid')).stdout.trim();
    const again = await runScript(script, 'user-data.sh');
    process.stderr.write(`[startup test] second run: ${again.seconds} s, exit ${again.code}\n`);
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    const events = jsonLines(again.stdout).map((l) => l.event);
    expect(events).toEqual(
      expect.arrayContaining([
        'packages.present',
        'ssm-agent.present',
        'cloudwatch-agent.present',
        'node.present',
        'bundle.present',
        'service.running',
        'done',
      ]),
    );
    expect(events).not.toContain('node.installed');
    expect(events).not.toContain('ssm-agent.installed');
    expect(events).not.toContain('cloudwatch-agent.installed');
    expect((await inContainer('cat /run/multiclaw-lab/multiclaw-cloud.pid')).stdout.trim()).toBe(pidBefore);
    const health = await inContainer('curl -sS -f -k https://127.0.0.1:443/healthz');
    expect(JSON.parse(health.stdout)).toMatchObject({ status: 'ok' });
  });

  it('leaves what the aws driver needs: Node on the PATH, and a service that follows the instance’s lab clock', async () => {
    const node = await inContainer(`${INSTANCE_NODE_LINK} --version`);
    expect(node.stdout.trim()).toBe(process.version);
    expect((await inContainer(`cat ${INSTANCE_CLOCK_FILE}`)).stdout.trim()).toBe('+0');
    // the HTTP Date header is the service's own wall clock; Node renews it once a second, so a
    // move shows on the first answer after that (asked for until it shows, a bounded number of times)
    const serviceDay = async () => {
      const r = await inContainer('curl -sS -f -k -D - -o /dev/null https://127.0.0.1:443/healthz');
      const date = /^date: (.+)$/im.exec(r.stdout)?.[1];
      expect(date, r.stdout + r.stderr).toBeDefined();
      return Math.abs(Math.round((Date.parse(date!) - Date.now()) / 86_400_000));
    };
    const dayOnceRenewed = async (want: number) => {
      let day = await serviceDay();
      for (let asked = 1; day !== want && asked < 100; asked++) day = await serviceDay();
      return day;
    };
    expect(await serviceDay()).toBe(0);
    await inContainer(`printf '+172800\\n' > ${INSTANCE_CLOCK_FILE}`);
    expect(await dayOnceRenewed(2)).toBe(2);
    await inContainer(`printf '+0\\n' > ${INSTANCE_CLOCK_FILE}`);
    expect(await dayOnceRenewed(0)).toBe(0);
  });

  it('stops with a JSON error when an artifact does not match its checksum', async () => {
    const wrong = renderStartupScript({ ...config, artifacts: { ...config.artifacts, bundleSha256: '0'.repeat(64) } });
    const result = await runScript(wrong, 'wrong-checksum.sh');
    expect(result.code).toBe(1);
    const last = jsonLines(result.stdout).at(-1)!;
    expect(last).toMatchObject({ event: 'error', code: 'artifact.checksum', step: 'bundle' });
    expect(last.message).toContain(`the script expects ${'0'.repeat(64)}`);
  });

  it('stops with a JSON error when a secret is missing', async () => {
    const missing = `${arns['cloud/token-secret']!.replace(/token-secret-.*$/, 'no-such-secret')}`;
    const broken = renderStartupScript({ ...config, secretFiles: { ...config.secretFiles, CLOUD_TOKEN_SECRET_FILE: missing } });
    const result = await runScript(broken, 'missing-secret.sh');
    expect(result.code).toBe(1);
    const lines = jsonLines(result.stdout);
    expect(lines.find((l) => l.code === 'secret.read')?.message).toMatch(/ResourceNotFoundException/);
    expect(lines.at(-1)).toMatchObject({ event: 'error', code: 'secrets.read' });
  });

  /** Another role's script for this container: the same build, region and agent package. */
  const roleConfig = (role: StartupConfig['role'], hostId: string, secretFiles: Record<string, string>): StartupConfig =>
    standInStartupConfig(fixtures, agents, { hostId, role, secretFiles, env: {}, logGroup: LOG_GROUP });

  it('desktop: puts the lab CA it is handed into the OS trust store, where Node finds it', async () => {
    expect(await nodeTrustsLabCa()).toBe('false');
    const desktop = renderStartupScript(roleConfig('desktop', 's1-d1', { [LAB_CA_VARIABLE]: arns['lab/ca']! }));
    const run = await runScript(desktop, 'desktop.sh');
    process.stderr.write(`[startup test] desktop run: ${run.seconds} s, exit ${run.code}\n`);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(jsonLines(run.stdout).map((l) => l.event)).toEqual(expect.arrayContaining(['ssm-agent.present', 'trust.installed']));
    const bundle = await inContainer('cat /etc/ssl/certs/ca-certificates.crt');
    expect(bundle.stdout).toContain(labCaPem.trim());
    expect(await nodeTrustsLabCa()).toBe('true');

    const again = await runScript(desktop, 'desktop.sh');
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    const events = jsonLines(again.stdout).map((l) => l.event);
    expect(events).toContain('trust.present');
    expect(events).not.toContain('trust.installed');
  });

  it('llm: waits for a route the provider answers, and leaves no call in its log', async () => {
    // one port 443 in this container: the cloud steps aside for the LLM provider (killed, it
    // stays a zombie, as the container's PID 1 reaps nothing: gone means no longer running)
    const stop = await inContainer(
      'pid=$(cat /run/multiclaw-lab/multiclaw-cloud.pid); kill "$pid"; while ps -o stat= -p "$pid" | grep -qv "^Z"; do sleep 0.1; done',
    );
    expect(stop.code, stop.stderr).toBe(0);
    const llm = renderStartupScript(
      roleConfig('llm', 'llm', { LLM_TLS_CERT_FILE: arns['llm/tls-cert']!, LLM_TLS_KEY_FILE: arns['llm/tls-key']! }),
    );
    const run = await runScript(llm, 'llm.sh');
    process.stderr.write(`[startup test] llm run: ${run.seconds} s, exit ${run.code}\n`);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(jsonLines(run.stdout).find((l) => l.event === 'service.healthy')).toMatchObject({
      service: 'multiclaw-llm',
      url: 'http://localhost/admin/keys',
      socket: '/var/lib/multiclaw-llm/admin.sock',
    });
    const calls = await inContainer('curl -sS -f --unix-socket /var/lib/multiclaw-llm/admin.sock http://localhost/admin/calls');
    expect(JSON.parse(calls.stdout)).toEqual({ calls: [] });
    // its public API is up on 443: a completion without a key is refused as OpenAI refuses it
    const refused = await inContainer(
      "curl -sS -k -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/json' -d '{}' https://127.0.0.1:443/v1/chat/completions",
    );
    expect(refused.stdout).toBe('401');
  }, 150_000);
});
