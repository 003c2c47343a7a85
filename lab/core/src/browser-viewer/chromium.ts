import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LabError, MissingToolError } from '@multiclaw-lab/kit';
import type { BrowserContext } from 'playwright-core';

const run = promisify(execFile);

/** Debian's chromium; LAB_CHROMIUM overrides it (e.g. to check the skip and the CI failure by hand). */
export const CHROMIUM = process.env.LAB_CHROMIUM ?? '/usr/bin/chromium';

export interface LaunchOptions {
  /** a folder of this browser's own: profile, HOME with its NSS database, wrapper script */
  dir: string;
  /** the argv prefix that runs a command inside a lab host, keeping its fds; undefined: this process's own network */
  inHost?: string[] | undefined;
  /** PEM of the one CA this browser trusts besides the system's (the lab CA) */
  caPem: string;
}

/**
 * Headless Debian Chromium, driven by playwright-core, optionally inside a network namespace.
 *
 * Trust: the lab CA goes into the NSS database of a throwaway HOME (`certutil`), which Chromium on
 * Linux consults for locally added roots — so the cloud's HTTPS/WSS and coturn's TLS are verified
 * like on a user's machine that trusts them. Ignoring certificate errors would also hide a wrong
 * certificate, which is exactly what a TLS scenario must see.
 *
 * The host: playwright starts `executablePath` with a debugging pipe on fds 3/4; a wrapper script
 * that execs the driver's in-host prefix (for netns `ip netns exec <ns>`) and then chromium keeps
 * those fds (both exec), so the browser and every process it forks live in the host's network and
 * see its /etc/hosts.
 */
export async function launchChromium(options: LaunchOptions): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) throw new MissingToolError(CHROMIUM, 'apt-get install -y chromium (or pnpm lab doctor --install)');
  const home = join(options.dir, 'home');
  await mkdir(home, { recursive: true, mode: 0o700 });
  await trustInNss(home, options.caPem, join(options.dir, 'lab-ca.pem'));
  let executablePath = CHROMIUM;
  if (options.inHost) {
    const unsafe = options.inHost.find((word) => !/^[A-Za-z0-9_./=:-]+$/.test(word));
    if (unsafe !== undefined) throw new LabError('LAB_BAD_EXEC', `unsafe word in the in-host command: ${JSON.stringify(unsafe)}`);
    executablePath = join(options.dir, 'chromium-in-host.sh');
    await writeFile(executablePath, `#!/bin/sh\nexec ${options.inHost.join(' ')} ${CHROMIUM} "$@"\n`);
    await chmod(executablePath, 0o755);
  }
  // loaded here, not with the module: playwright takes a few hundred ms of CPU to load, and
  // labd (which imports this) starts on every `lab up` while few runs open a browser
  const { chromium } = await import('playwright-core');
  return chromium.launchPersistentContext(join(options.dir, 'profile'), {
    executablePath,
    headless: true,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, LANG: 'C.UTF-8' },
    args: [
      '--no-sandbox', // we run as root
      '--disable-gpu',
      // Chromium hides host candidates behind mDNS .local names; the lab has no mDNS, so a direct
      // path would be impossible
      '--disable-features=WebRtcHideLocalIpsWithMdns',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-domain-reliability',
      '--no-pings',
    ],
  });
}

/** A fresh NSS database in `home` (~/.pki/nssdb) with `caPem` trusted to identify servers. */
async function trustInNss(home: string, caPem: string, caFile: string): Promise<void> {
  const db = join(home, '.pki', 'nssdb');
  await mkdir(db, { recursive: true, mode: 0o700 });
  await writeFile(caFile, caPem);
  try {
    await run('certutil', ['-d', `sql:${db}`, '-N', '--empty-password']);
    await run('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'MultiClaw Lab CA', '-i', caFile]);
  } catch (err) {
    throw new LabError('LAB_NSS_TRUST', `could not trust the lab CA in Chromium's NSS database: ${(err as Error).message}`, {
      hint: 'install certutil: apt-get install -y libnss3-tools (or pnpm lab doctor --install)',
      cause: err,
    });
  }
}
