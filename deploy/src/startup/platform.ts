/**
 * What every instance needs from the platform before the lab's own steps: the Systems Manager
 * agent (the aws driver reaches instances only through SSM, and Debian's AMIs do not carry the
 * agent) and, where the stack hands it over, the lab CA in the OS trust store.
 */
import { quote, StartupConfigError } from './units.ts';

/**
 * The agent's Debian amd64 package in the instance's own region, as AWS publishes it: the
 * Systems Manager User Guide, "Verifying the signature of SSM Agent"
 * (https://docs.aws.amazon.com/systems-manager/latest/userguide/verify-agent-signature.html),
 * lists `https://s3.region.amazonaws.com/amazon-ssm-region/latest/debian_amd64/` as where
 * amazon-ssm-agent.deb and its .sig are downloaded for Debian Server and Ubuntu Server (x86_64).
 * Regional, so a private subnet fetches it through the VPC's S3 gateway endpoint.
 */
export function ssmAgentDebUrl(region: string): string {
  return `https://s3.${region}.amazonaws.com/amazon-ssm-${region}/latest/debian_amd64/amazon-ssm-agent.deb`;
}

/** The secret variable that carries the lab CA (PEM); whichever role is handed it trusts it system-wide. */
export const LAB_CA_VARIABLE = 'LAB_CA_CERT_FILE';

/** Where an agent's .deb comes from when its package is missing. */
export interface DebSource {
  /** where the .deb comes from (default: AWS's download in the instance's region) */
  url?: string;
  /** hex SHA-256 the download must have; without it the HTTPS origin alone vouches for it ("latest" moves) */
  sha256?: string;
}

export type SsmAgentSource = DebSource;

/** A .deb to fetch when its package is missing: the URL and digest, checked before they reach the script. */
export function debSource(what: string, source: DebSource, defaultUrl: string): { url: string; sha256: string } {
  const url = source.url ?? defaultUrl;
  if (!/^https?:\/\/[A-Za-z0-9.:-]+\/[A-Za-z0-9._~/-]+\.deb$/.test(url))
    throw new StartupConfigError(`${what}.url "${url}" is not an http(s) URL of a .deb`);
  if (source.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(source.sha256))
    throw new StartupConfigError(`${what}.sha256 must be the hex SHA-256 of the .deb`);
  return { url: quote(url, `${what}.url`), sha256: `'${source.sha256 ?? ''}'` };
}

/** The step that makes sure the agent is installed and running (lib.sh's ensure_ssm_agent). */
export function ssmAgentStep(region: string, source: SsmAgentSource = {}): string[] {
  const { url, sha256 } = debSource('ssmAgent', source, ssmAgentDebUrl(region));
  return ['step ssm-agent', `ensure_ssm_agent ${url} ${sha256}`];
}

/** The step that puts the CA file (written with the service's secrets) into the OS trust store. */
export function trustStep(caFile: string): string[] {
  return ['step trust', `trust_lab_ca ${quote(caFile, LAB_CA_VARIABLE)}`];
}
