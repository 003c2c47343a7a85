import { BlockList, isIPv4 } from 'node:net';
import { LabError } from '@multiclaw-lab/kit';

/**
 * The lab's hard network rule, enforced where configuration is made: a service may only
 * listen on, relay from or advertise an address in 198.18.0.0/15 (the lab) or loopback.
 */
const allowed = new BlockList();
allowed.addSubnet('198.18.0.0', 15, 'ipv4');
allowed.addSubnet('127.0.0.0', 8, 'ipv4');

export class InfraConfigError extends LabError {
  constructor(message: string, hintOrOptions?: string | { hint?: string; cause?: unknown }) {
    super('LAB_INFRA_CONFIG', message, typeof hintOrOptions === 'string' ? { hint: hintOrOptions } : (hintOrOptions ?? {}));
  }
}

export function assertLabAddress(what: string, address: string): void {
  if (!isIPv4(address)) throw new InfraConfigError(`${what} must be an IPv4 address, not "${address}"`);
  if (!allowed.check(address, 'ipv4'))
    throw new InfraConfigError(`${what} ${address} is outside the lab`, 'use an address in 198.18.0.0/15 or 127.0.0.0/8');
}

export function assertPort(what: string, port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new InfraConfigError(`${what} must be a port from 1 to 65535, not ${port}`);
}

export function assertCidr(what: string, cidr: string): void {
  const [address, bits] = cidr.split('/');
  const n = Number(bits);
  if (!address || !Number.isInteger(n) || n < 0 || n > 32 || bits === undefined)
    throw new InfraConfigError(`${what} must be a CIDR like 198.19.1.0/24, not "${cidr}"`);
  assertLabAddress(what, address);
  if (n < 15) throw new InfraConfigError(`${what} ${cidr} is wider than the lab's 198.18.0.0/15`);
}
