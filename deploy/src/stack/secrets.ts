import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import type { StackContext } from './context.ts';

/**
 * Every file an instance needs that is not part of the build, as a Secrets Manager secret
 * encrypted with the stack key: the signing and master keys, the TURN shared secret, the TLS
 * keys, and (for one channel instead of two) the certificates and the lab CA. Values come from
 * the stack's config, where Pulumi keeps them encrypted; `pulumi.secret` keeps them so in state.
 * The api certificate is not among them: the load balancer holds it (ACM), and the cloud's
 * instances make their own for the load balancer → instance hop (the ALB does not verify it).
 */
export function stackSecret(
  ctx: StackContext,
  key: aws.kms.Key,
  name: string,
  value: pulumi.Input<string>,
  description: string,
): aws.secretsmanager.Secret {
  const secret = new aws.secretsmanager.Secret(
    `secret-${name}`,
    {
      name: `multiclaw-lab/${ctx.stack}/${name}`,
      description,
      kmsKeyId: key.arn,
      // a staging stack is torn down and made again: its names must be free at once
      recoveryWindowInDays: 0,
    },
    ctx.opts,
  );
  new aws.secretsmanager.SecretVersion(
    `secret-${name}-value`,
    { secretId: secret.id, secretString: pulumi.secret(value) },
    ctx.opts,
  );
  return secret;
}

export interface StackSecretSet {
  tokenSigningKey: aws.secretsmanager.Secret;
  masterKey: aws.secretsmanager.Secret;
  turnSharedSecret: aws.secretsmanager.Secret;
  caCertificate: aws.secretsmanager.Secret;
  llm: { certificate: aws.secretsmanager.Secret; key: aws.secretsmanager.Secret };
  turn: { certificate: aws.secretsmanager.Secret; key: aws.secretsmanager.Secret };
}

export function stackSecrets(ctx: StackContext, key: aws.kms.Key): StackSecretSet {
  const { tls } = ctx.config;
  const s = ctx.secrets;
  // servers send leaf + CA, as in the local lab
  const chain = (leaf: string) => `${leaf.trimEnd()}\n${tls.caCertificate.trimEnd()}\n`;
  const pair = (name: string, leaf: string, privateKey: pulumi.Input<string>) => ({
    certificate: stackSecret(ctx, key, `tls-${name}-cert`, chain(leaf), `TLS certificate chain of the ${name} service`),
    key: stackSecret(ctx, key, `tls-${name}-key`, privateKey, `TLS private key of the ${name} service`),
  });
  return {
    tokenSigningKey: stackSecret(ctx, key, 'token-signing-key', s.tokenSigningKey, 'HS256 key of the WSS session tokens'),
    masterKey: stackSecret(ctx, key, 'master-key', s.masterKey, 'AES-256 master key of secrets at rest (key-encryption key)'),
    turnSharedSecret: stackSecret(
      ctx,
      key,
      'turn-shared-secret',
      s.turnSharedSecret,
      'TURN static-auth-secret shared by the cloud and coturn',
    ),
    caCertificate: stackSecret(ctx, key, 'ca-certificate', tls.caCertificate, 'the lab CA certificate every host trusts'),
    llm: pair('llm', tls.llmCertificate, s.llmTlsKey),
    turn: pair('turn', tls.turnCertificate, s.turnTlsKey),
  };
}
