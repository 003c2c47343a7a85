/**
 * The start-up script's text, per role: what it installs and starts, that it carries the
 * artifacts' digests, and that no secret value can get into it (the config holds only ARNs, and
 * anything that looks like a secret in the plain environment is refused).
 */

import { BASE_PACKAGES } from '@multiclaw-lab/docker/images';
import { describe, expect, it } from 'vitest';
import { INSTANCE_ROLES, type InstanceRole } from '../outputs.ts';
import { LAB_CA_VARIABLE, renderStartupScript, type StartupConfig, StartupConfigError } from './index.ts';
import { ARN, BUNDLE_SHA, NODE_SHA, startupConfig } from './testing/startup-config.ts';

function config(role: InstanceRole, extra: Partial<StartupConfig> = {}): StartupConfig {
  return startupConfig(role, {
    secretFiles: role === 'neighbour' ? {} : { EXAMPLE_SECRET_FILE: ARN('example') },
    ...extra,
  });
}

const STARTS: Record<InstanceRole, string[]> = {
  cloud: ['/opt/multiclaw-lab/app/lab/cloud/src/main.ts'],
  relay: ['/usr/bin/turnserver -c /var/lib/multiclaw-relay/turnserver.conf', 'runtime/coturn-config.ts'],
  llm: ['/opt/multiclaw-lab/app/lab/external/src/main-llm.ts'],
  'cloud-desktop': ['/opt/multiclaw-lab/app/lab/gateway/src/main.ts', "GATEWAY_MODE='daemon'"],
  desktop: ['/opt/multiclaw-lab/app/lab/gateway/src/main.ts', "GATEWAY_MODE='local'"],
  neighbour: [],
};

describe.each(INSTANCE_ROLES)('the %s script', (role) => {
  const script = renderStartupScript(config(role));

  it('is POSIX sh that stops at the first failure', () => {
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('\nset -eu\n');
    // bash-only: [[ tests, the function keyword, pipefail
    expect(script).not.toMatch(/(^|\s)\[\[\s|\bfunction\s+\w+|pipefail/m);
  });

  it('embeds both digests and checks each download against them', () => {
    expect(script).toContain(`NODE_SHA256=${NODE_SHA}`);
    expect(script).toContain(`BUNDLE_SHA256=${BUNDLE_SHA}`);
    expect(script).toContain('verify /opt/multiclaw-lab/downloads/node "$NODE_SHA256"');
    expect(script).toContain('verify /opt/multiclaw-lab/downloads/bundle.tar.gz "$BUNDLE_SHA256"');
  });

  it('installs only base-image packages, and only the missing ones', () => {
    const line = script.split('\n').find((l) => l.startsWith('ensure_packages '))!;
    const packages = line.split(' ').slice(1);
    for (const p of packages) expect(BASE_PACKAGES).toContain(p);
    expect(script).toContain('dpkg-query -W');
    if (role === 'relay') expect(packages).toContain('coturn');
  });

  it('starts what the role runs, each as its own account', () => {
    for (const text of STARTS[role]) expect(script).toContain(text);
    const starts = script.split('\n').filter((l) => l.startsWith('start_service '));
    expect(starts).toHaveLength(STARTS[role].length === 0 ? 0 : 1);
    for (const start of starts) expect(start.split(' ')[2]).toMatch(/^mc-/);
  });

  it('installs and starts the SSM agent, right after the packages, from the regional Debian package', () => {
    const lines = script.split('\n');
    const at = (prefix: string) => lines.findIndex((l) => l.startsWith(prefix));
    expect(lines[at('ensure_ssm_agent ')]).toBe(
      "ensure_ssm_agent 'https://s3.eu-west-1.amazonaws.com/amazon-ssm-eu-west-1/latest/debian_amd64/amazon-ssm-agent.deb' ''",
    );
    expect(at('ensure_packages ')).toBeLessThan(at('ensure_ssm_agent '));
    expect(at('ensure_ssm_agent ')).toBeLessThan(at('step node'));
  });

  it('names secrets only by ARN, and gives the services file paths', () => {
    if (role === 'neighbour') return expect(script).not.toContain('fetch-secrets.ts');
    expect(script).toContain(ARN('example'));
    expect(script).toMatch(/EXAMPLE_SECRET_FILE='\/etc\/multiclaw-lab\/secrets\/multiclaw-[a-z]+\/example_secret'/);
  });
});

describe('the cloud script', () => {
  const script = renderStartupScript(config('cloud'));

  it('connects to the database with verify-full and no password in the URL', () => {
    expect(script).toContain(
      "DATABASE_URL='postgres://cloud@db.rds.test:5432/multiclaw?sslmode=verify-full&sslrootcert=/etc/multiclaw-lab/rds-ca.pem'",
    );
    expect(script).toContain("PGPASSFILE='/etc/multiclaw-lab/secrets/multiclaw-cloud/pgpass'");
    expect(script).toContain("ca_url='https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem'");
  });

  it('makes its TLS certificate at boot and waits for its health URL', () => {
    expect(script).toContain('openssl req -x509');
    expect(script).toContain("wait_healthy multiclaw-cloud 'https://127.0.0.1:443/healthz'");
    expect(script).toContain('CapabilityBoundingSet=CAP_NET_BIND_SERVICE');
  });
});

describe('what it refuses to render', () => {
  const refuses = (extra: Partial<StartupConfig>, message: RegExp) =>
    expect(() => renderStartupScript(config('cloud', extra))).toThrow(
      expect.objectContaining({ name: StartupConfigError.name, message: expect.stringMatching(message) }),
    );

  it('a secret in the plain environment', () => {
    refuses({ env: { CLOUD_TOKEN_SECRET: 'hunter2-hunter2' } }, /looks like a secret/);
    refuses({ env: { GATEWAY_INSTANCE_TOKEN: 'mci_x' } }, /looks like a secret/);
    refuses({ env: { DATABASE_URL: 'postgres://cloud:hunter2@db/x' } }, /URL with a password/);
  });

  it('a secret variable that would hold a value instead of naming a file', () => {
    refuses({ secretFiles: { CLOUD_TOKEN_SECRET: ARN('x') } }, /must end in _FILE/);
  });

  it('artifacts without digests', () => {
    refuses({ artifacts: { bucket: 'mcl-artifacts', nodeKey: 'build/node', bundleKey: 'build/b.tgz' } }, /SHA-256/);
  });

  it('values that would break out of their quotes', () => {
    refuses({ env: { CLOUD_CORS_ORIGINS: "x'; rm -rf /; '" } }, /quote/);
  });

  it('a cloud without its database', () => {
    refuses({ database: undefined }, /needs `database`/);
  });
});

describe('the SSM agent source', () => {
  it('is the configured URL, pinned when a digest is given', () => {
    const url = 'https://mcl-artifacts.s3.eu-west-1.amazonaws.com/ssm/amazon-ssm-agent.deb';
    const script = renderStartupScript(config('neighbour', { ssmAgent: { url, sha256: 'c3'.repeat(32) } }));
    expect(script).toContain(`ensure_ssm_agent '${url}' '${'c3'.repeat(32)}'`);
  });

  it('refuses a URL that is not a .deb over http(s), and a digest that is not hex SHA-256', () => {
    const render = (ssmAgent: StartupConfig['ssmAgent']) => () => renderStartupScript(config('desktop', { ssmAgent }));
    expect(render({ url: "https://x.test/a.deb'; reboot; '" })).toThrow(StartupConfigError);
    expect(render({ url: 'ftp://x.test/amazon-ssm-agent.deb' })).toThrow(/not an http\(s\) URL of a \.deb/);
    expect(render({ sha256: 'abc' })).toThrow(/hex SHA-256/);
  });
});

describe('the lab CA in the OS trust store', () => {
  const withCa = (role: InstanceRole) => renderStartupScript(config(role, { secretFiles: { [LAB_CA_VARIABLE]: ARN('lab-ca') } }));

  it.each(['desktop', 'cloud-desktop'] as const)(
    '%s: installs the CA file its secrets wrote, before its service starts',
    (role) => {
      const lines = withCa(role).split('\n');
      const trust = lines.findIndex((l) => l.startsWith('trust_lab_ca '));
      expect(lines[trust]).toBe("trust_lab_ca '/etc/multiclaw-lab/secrets/multiclaw-gateway/lab_ca_cert'");
      expect(trust).toBeGreaterThan(lines.findIndex((l) => l.includes('fetch-secrets.ts')));
      expect(trust).toBeLessThan(lines.findIndex((l) => l.startsWith('start_service ')));
      // a CA added since the service started takes a restart: Node reads the store once
      expect(lines).toContain('if [ "$RELEASE_CHANGED" = 1 ] || [ "$TRUST_CHANGED" = 1 ]; then CHANGED=1; fi');
    },
  );

  it('goes where update-ca-certificates looks, and is checked in the bundle it writes', () => {
    const script = withCa('desktop');
    expect(script).toContain('LAB_CA_TRUSTED=/usr/local/share/ca-certificates/multiclaw-lab-ca.crt');
    expect(script).toContain('update-ca-certificates >&2');
    expect(script).toContain('SYSTEM_BUNDLE=/etc/ssl/certs/ca-certificates.crt');
  });

  it('is not a step of a role the stack hands no CA', () => {
    for (const role of INSTANCE_ROLES) expect(renderStartupScript(config(role))).not.toMatch(/^trust_lab_ca /m);
  });
});

describe('the LLM script', () => {
  it('waits for a route the provider has: GET /admin/keys on its admin socket', () => {
    const script = renderStartupScript(config('llm'));
    expect(script).toContain("wait_healthy multiclaw-llm 'http://localhost/admin/keys' '/var/lib/multiclaw-llm/admin.sock'");
    expect(script).toContain("LLM_ADMIN_SOCKET='/var/lib/multiclaw-llm/admin.sock'");
    expect(script).not.toContain("wait_healthy multiclaw-llm 'https://127.0.0.1:443/healthz'");
  });
});
