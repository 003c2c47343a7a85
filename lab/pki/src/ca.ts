import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import * as x509 from '@peculiar/x509';

/**
 * The lab's certificate authority: one CA per run and a leaf per service name, ECDSA P-256
 * (fast to make; every TLS stack in the lab speaks it). Nothing here is trusted anywhere
 * until a host's trust store is given the CA certificate.
 */
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const DAY_MS = 24 * 60 * 60 * 1000;

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  /** leaf then CA, for servers that should send their chain */
  chainPem: string;
  names: string[];
  notAfter: Date;
}

export interface IssueOptions {
  /** validity in days from now (default 30); negative values make an already-expired certificate */
  validDays?: number;
  /** start of validity (default: one day ago, so clocks moved back a little still accept it) */
  notBefore?: Date;
  /** 'server' (default) or 'client' */
  usage?: 'server' | 'client';
}

export interface LabCA {
  certPem: string;
  keyPem: string;
  name: string;
  issue(names: string[], options?: IssueOptions): Promise<IssuedCertificate>;
}

function pem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`;
}

function serial(): string {
  // positive 16-byte serial
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return Buffer.from(bytes).toString('hex');
}

function sanEntries(names: string[]): x509.JsonGeneralName[] {
  return names.map((n) => (isIP(n) ? { type: 'ip', value: n } : { type: 'dns', value: n }));
}

export async function createLabCA(options: { name?: string; validDays?: number } = {}): Promise<LabCA> {
  const name = options.name ?? 'MultiClaw Lab CA';
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}, O=MultiClaw Lab`,
    notBefore: new Date(now - DAY_MS),
    notAfter: new Date(now + (options.validDays ?? 365) * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certPem = `${caCert.toString('pem')}\n`;
  const keyPem = pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));

  async function issue(names: string[], issueOptions: IssueOptions = {}): Promise<IssuedCertificate> {
    if (names.length === 0) throw new Error('a certificate needs at least one name');
    const leafKeys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const notBefore = issueOptions.notBefore ?? new Date(Date.now() - DAY_MS);
    const notAfter = new Date(Date.now() + (issueOptions.validDays ?? 30) * DAY_MS);
    const eku = issueOptions.usage === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: `CN=${names[0]}`,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      publicKey: leafKeys.publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: ALG,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([eku]),
        new x509.SubjectAlternativeNameExtension(sanEntries(names)),
        await x509.SubjectKeyIdentifierExtension.create(leafKeys.publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(caCert),
      ],
    });
    const leafPem = `${leaf.toString('pem')}\n`;
    return {
      certPem: leafPem,
      keyPem: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', leafKeys.privateKey)),
      chainPem: leafPem + certPem,
      names,
      notAfter,
    };
  }

  return { certPem, keyPem, name, issue };
}
