import type * as pulumi from '@pulumi/pulumi';
import { CLOUD_VPC_CIDR } from '../address-plan.ts';
import { PORTS } from '../ports.ts';
import { LAB_CA_VARIABLE } from '../startup/index.ts';
import type { StackContext } from './context.ts';
import { DATABASE_NAME, DATABASE_USER } from './database.ts';
import type { PublicNames } from './dns.ts';
import type { HostRuntime } from './instances.ts';
import type { StackSecretSet } from './secrets.ts';

/** The same TURN URLs as the local lab's cloud hands out (STUN, TURN/UDP, TURN over TLS on 443). */
export function turnUrls(turnName: string): string[] {
  return [
    `stun:${turnName}:${PORTS.relay.udp}`,
    `turn:${turnName}:${PORTS.relay.udp}?transport=udp`,
    `turns:${turnName}:${PORTS.relay.tls}?transport=tcp`,
  ];
}

/**
 * The lab CA for hosts whose services call the stack's TLS services (the file is written with
 * the role's secrets; installing it into the OS trust store is the start-up script's part).
 */
const caFile = (s: StackSecretSet) => ({ [LAB_CA_VARIABLE]: s.caCertificate.arn });

export interface RuntimeInputs {
  names: PublicNames;
  secrets: StackSecretSet;
  database: { address: pulumi.Output<string>; credentialsSecretArn: pulumi.Output<string> };
  relayAddress: pulumi.Output<string>;
  cdnUrl: pulumi.Output<string>;
}

/**
 * What each role's services are started with, in the start-up script's terms (startup/): the
 * same variables as the local lab's service definitions, every file-valued one backed by a
 * Secrets Manager secret. The cloud's database comes as `database` (RDS's own secret holds the
 * password, JSON username/password): the script makes DATABASE_URL (verify-full) and a pgpass
 * file from it. Its TLS certificate for the load balancer → instance hop is made on the
 * instance; the load balancer itself presents the imported lab-CA certificate.
 */
export function cloudRuntime(ctx: StackContext, i: RuntimeInputs): HostRuntime {
  return {
    secretFiles: {
      CLOUD_TOKEN_SECRET_FILE: i.secrets.tokenSigningKey.arn,
      CLOUD_MASTER_KEY_FILE: i.secrets.masterKey.arn,
      CLOUD_TURN_SECRET_FILE: i.secrets.turnSharedSecret.arn,
    },
    env: { CLOUD_TURN_URLS: turnUrls(i.names.turn).join(','), LAB_DOMAIN: ctx.config.domain },
    database: {
      host: i.database.address,
      port: PORTS.postgres,
      name: DATABASE_NAME,
      user: DATABASE_USER,
      passwordSecretArn: i.database.credentialsSecretArn,
    },
  };
}

export function relayRuntime(ctx: StackContext, i: RuntimeInputs): HostRuntime {
  return {
    secretFiles: {
      TURN_TLS_CERT_FILE: i.secrets.turn.certificate.arn,
      TURN_TLS_KEY_FILE: i.secrets.turn.key.arn,
      TURN_STATIC_AUTH_SECRET_FILE: i.secrets.turnSharedSecret.arn,
    },
    env: {
      TURN_REALM: ctx.config.domain,
      TURN_PORT: String(PORTS.relay.udp),
      TURN_TLS_PORT: String(PORTS.relay.tls),
      TURN_MIN_PORT: String(ctx.config.relayPorts.min),
      TURN_MAX_PORT: String(ctx.config.relayPorts.max),
      // coturn sits behind the Elastic IP's 1:1 NAT and must advertise the public address
      TURN_EXTERNAL_IP: i.relayAddress,
      // as in the local lab, never a peer: the cloud's own hosts (cloud, LLM, database, load
      // balancer, VPC resolver). Cloud desktops share that VPC; they stay peers through the
      // addresses their candidates carry outside it (NAT gateway, relay).
      TURN_DENIED_PEER_CIDRS: CLOUD_VPC_CIDR,
    },
  };
}

export function llmRuntime(_ctx: StackContext, i: RuntimeInputs): HostRuntime {
  return {
    secretFiles: { LLM_TLS_CERT_FILE: i.secrets.llm.certificate.arn, LLM_TLS_KEY_FILE: i.secrets.llm.key.arn },
    env: {},
  };
}

/** A cloud desktop's gateway is provisioned later by the harness (instance token from the cloud). */
export function cloudDesktopRuntime(_ctx: StackContext, i: RuntimeInputs): HostRuntime {
  return {
    secretFiles: caFile(i.secrets),
    env: { GATEWAY_SCREEN_STREAMER: 'webrtc', LAB_CLOUD_URL: `https://${i.names.api}` },
  };
}

export function desktopRuntime(ctx: StackContext, i: RuntimeInputs): HostRuntime {
  return {
    secretFiles: caFile(i.secrets),
    env: {
      DESKTOP_CLOUD_URL: `https://${i.names.api}`,
      DESKTOP_CDN_URL: i.cdnUrl,
      ...(ctx.config.updatePublicKey ? { DESKTOP_UPDATE_PUBKEY: ctx.config.updatePublicKey } : {}),
    },
  };
}

/** The neighbour runs no service (the driver sends it probe commands): nothing to hand it. */
export function neighbourRuntime(_ctx: StackContext, _i: RuntimeInputs): HostRuntime {
  return { secretFiles: {}, env: {} };
}
