/**
 * The netns driver's failures, one class each with a stable `code`. Messages say what failed
 * and where (command, namespace); the hint says what to do.
 */
import { LabError } from '@multiclaw-lab/kit';

export class NotRootError extends LabError {
  constructor(uid: number | undefined) {
    super('LAB_NOT_ROOT', `the netns driver must run as root (running as uid ${uid ?? 'unknown'})`, {
      hint: 'run as root, e.g. `sudo pnpm lab up`, or use the docker driver',
    });
  }
}

export class CommandFailedError extends LabError {
  readonly command: string;
  readonly namespace: string | undefined;
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(command: string, namespace: string | undefined, exitCode: number | null, stderr: string, hint?: string) {
    const where = namespace ? ` in namespace ${namespace}` : '';
    super('LAB_NET_COMMAND_FAILED', `\`${command}\`${where} failed (exit ${exitCode}): ${stderr.trim() || 'no output'}`, {
      ...(hint ? { hint } : {}),
    });
    this.command = command;
    this.namespace = namespace;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export class LabAlreadyUpError extends LabError {
  readonly namespaces: string[];
  constructor(prefix: string, namespaces: string[]) {
    super('LAB_ALREADY_UP', `a lab with prefix "${prefix}" already exists (namespaces: ${namespaces.join(', ')})`, {
      hint: `run \`pnpm lab down\` first (it also cleans up after a killed harness), or choose another prefix`,
    });
    this.namespaces = namespaces;
  }
}

export class BadPrefixError extends LabError {
  constructor(prefix: string) {
    super('LAB_BAD_PREFIX', `lab prefix ${JSON.stringify(prefix)} is not valid`, {
      hint: 'use 1–8 characters: a lowercase letter, then lowercase letters or digits (no "-", so prefixes never overlap)',
    });
  }
}

export class UnknownSiteError extends LabError {
  constructor(site: string, known: string[]) {
    super('LAB_UNKNOWN_SITE', `no site ${JSON.stringify(site)} in this lab`, { hint: `sites: ${known.join(', ')}` });
  }
}

export class NotUpError extends LabError {
  constructor(prefix: string, action: string) {
    super('LAB_NOT_UP', `cannot ${action}: the lab "${prefix}" is not up`, {
      hint: 'call up() first; after down() make a new driver',
    });
  }
}

export class HelperFailedError extends LabError {
  constructor(what: string, host: string, detail: string) {
    super('LAB_HELPER_FAILED', `${what} in host ${host} failed: ${detail}`);
  }
}

export class BadAddressError extends LabError {
  constructor(address: string, what: string) {
    super('LAB_BAD_ADDRESS', `${what} ${JSON.stringify(address)} is not a lab address`, {
      hint: 'the lab only uses IPv4 addresses in 198.18.0.0/15',
    });
  }
}

export class TeardownError extends LabError {
  constructor(what: string) {
    super('LAB_TEARDOWN_FAILED', what, {
      hint: 'look at `ip netns list` and `ip netns pids NS`; run `pnpm lab down` again once the processes are gone',
    });
  }
}

export class BadFaultError extends LabError {
  constructor(message: string) {
    super('LAB_BAD_FAULT', message, { hint: 'ports are 1–65535, shares 0–100 %, addresses IPv4 in 198.18.0.0/15' });
  }
}
