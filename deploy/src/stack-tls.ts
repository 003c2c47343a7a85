/**
 * The TLS material of a new staging stack, made once by `lab deploy` (like the random secrets,
 * never by the program): a lab CA for this stack and its leaves for the cloud's API name, the LLM
 * replica's and the relay's. The public halves become the `tls` setting (the CA is what clients
 * trust, as in the local lab; the API leaf is imported into ACM for the load balancer), the leaf
 * keys Pulumi secrets. The CA's own key is not kept: nothing is issued after deploy.
 */
import { createLabCA } from '@multiclaw-lab/pki';

export interface StackTls {
  tls: { caCertificate: string; apiCertificate: string; llmCertificate: string; turnCertificate: string };
  secrets: { apiTlsKey: string; llmTlsKey: string; turnTlsKey: string };
}

export async function generateStackTls(names: { domain: string; llmDomain: string }): Promise<StackTls> {
  // a staging stack lives for months, not for one run: the leaves last 397 days, the longest
  // that clients accept of a server certificate
  const ca = await createLabCA({ name: `MultiClaw Lab staging CA (${names.domain})`, validDays: 3650 });
  const leaf = (name: string) => ca.issue([name], { validDays: 397 });
  const [api, llm, turn] = await Promise.all([
    leaf(`api.${names.domain}`),
    leaf(`api.${names.llmDomain}`),
    leaf(`turn.${names.domain}`),
  ]);
  return {
    tls: { caCertificate: ca.certPem, apiCertificate: api.certPem, llmCertificate: llm.certPem, turnCertificate: turn.certPem },
    secrets: { apiTlsKey: api.keyPem, llmTlsKey: llm.keyPem, turnTlsKey: turn.keyPem },
  };
}
