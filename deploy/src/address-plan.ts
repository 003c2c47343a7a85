/**
 * The staging stack's VPC address plan. Every VPC is a primary CIDR inside 198.18.0.0/16:
 *
 *   cloud VPC     198.18.0.0/20    public 198.18.0.0/24 (AZ a), 198.18.1.0/24 (AZ b)
 *                                  private 198.18.2.0/24 (AZ a), 198.18.3.0/24 (AZ b)
 *   site N VPC    198.18.(128+N).0/24   public .0/26 (NAT gateway), private .128/25 (hosts)
 *
 * Why not 198.19.0.0/16, where the local lab puts its sites: the Amazon VPC User Guide
 * ("IPv4 CIDR block association restrictions", VPC CIDR blocks page) treats 198.19.0.0/16 as a
 * range of its own, next to RFC 1918: it cannot be associated with a VPC whose primary CIDR lies
 * elsewhere. 198.18.0.0/16 falls under "publicly routable (non-RFC 1918)", which a primary CIDR
 * may use (block sizes /16 to /28). Keeping every VPC in 198.18.0.0/16 and disjoint leaves room
 * to peer or attach them later without renumbering.
 */

export const CLOUD_VPC_CIDR = '198.18.0.0/20';

export const CLOUD_SUBNETS = {
  public: ['198.18.0.0/24', '198.18.1.0/24'],
  private: ['198.18.2.0/24', '198.18.3.0/24'],
} as const;

/** Sites are numbered from 1; at most 50, as in the lab's topology. */
export const MAX_SITES = 50;

function siteOctet(site: number): number {
  if (!Number.isInteger(site) || site < 1 || site > MAX_SITES) throw new RangeError(`site ${site} is not 1..${MAX_SITES}`);
  return 128 + site;
}

export function siteVpcCidr(site: number): string {
  return `198.18.${siteOctet(site)}.0/24`;
}

export function siteSubnets(site: number): { public: string; private: string } {
  const octet = siteOctet(site);
  return { public: `198.18.${octet}.0/26`, private: `198.18.${octet}.128/25` };
}

/** [first, last] address of an IPv4 CIDR as 32-bit numbers. */
export function cidrRange(cidr: string): [number, number] {
  const [address, bits] = cidr.split('/');
  const octets = (address ?? '').split('.').map(Number);
  const prefix = Number(bits);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255) || !(prefix >= 0 && prefix <= 32))
    throw new RangeError(`not an IPv4 CIDR: ${cidr}`);
  const base = octets.reduce((n, o) => n * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const first = base - (base % size);
  return [first, first + size - 1];
}

export function cidrInside(inner: string, outer: string): boolean {
  const [a, b] = cidrRange(inner);
  const [c, d] = cidrRange(outer);
  return a >= c && b <= d;
}

export function cidrsOverlap(x: string, y: string): boolean {
  const [a, b] = cidrRange(x);
  const [c, d] = cidrRange(y);
  return a <= d && c <= b;
}
