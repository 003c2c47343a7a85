/**
 * toxiproxy is not in Debian; we build it from source with Go and install it under a clear
 * name. The recipe is data so `lab doctor`, `lab up` and scripts/bootstrap.sh share one list.
 */
import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { isExecutable, MissingToolError } from '@multiclaw-lab/kit';

export const TOXIPROXY_VERSION = 'v2.12.0';
export const LAB_BIN_DIR = '/opt/multiclaw-lab/bin';
export const TOXIPROXY_BINARY = join(LAB_BIN_DIR, 'toxiproxy-server');

export interface ToolRecipe {
  name: string;
  /** the file that exists once installed */
  check: string;
  /** commands to run in order (argv form); each gets `env` on top of the caller's environment */
  install: string[][];
  env: Record<string, string>;
  /** what must already be installed for the recipe to work */
  needs: string[];
}

const BUILD_DIR = '/opt/multiclaw-lab/build/toxiproxy';

export const TOXIPROXY_RECIPE: ToolRecipe = {
  name: 'toxiproxy-server',
  check: TOXIPROXY_BINARY,
  install: [
    ['mkdir', '-p', LAB_BIN_DIR, BUILD_DIR],
    ['go', 'install', `github.com/Shopify/toxiproxy/v2/cmd/server@${TOXIPROXY_VERSION}`],
    // `go install` names the binary after its folder ("server"): give it a name that says what it is
    ['install', '-m', '0755', join(BUILD_DIR, 'server'), TOXIPROXY_BINARY],
  ],
  env: { GOBIN: BUILD_DIR, GOFLAGS: '-mod=mod' },
  needs: ['go'],
};

/** The toxiproxy server binary: $TOXIPROXY_SERVER, the lab's install path, or `toxiproxy-server` on PATH. */
export function findToxiproxy(): string | undefined {
  const candidates = [process.env.TOXIPROXY_SERVER, TOXIPROXY_BINARY];
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'toxiproxy-server'));
  return candidates.find((c): c is string => !!c && isExecutable(c));
}

export function ensureToxiproxy(): string {
  const found = findToxiproxy();
  if (found) return found;
  const commands = TOXIPROXY_RECIPE.install.map((argv) => argv.join(' ')).join(' && ');
  const env = Object.entries(TOXIPROXY_RECIPE.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  throw new MissingToolError('toxiproxy-server', `run as root: export ${env}; ${commands}`);
}

/** Runs the recipe (needs Go and the Go module proxy); returns the installed binary. */
export async function installToxiproxy(): Promise<string> {
  const run = promisify(execFile);
  for (const [command, ...args] of TOXIPROXY_RECIPE.install) {
    await run(command!, args, { env: { ...process.env, ...TOXIPROXY_RECIPE.env } });
  }
  return ensureToxiproxy();
}
