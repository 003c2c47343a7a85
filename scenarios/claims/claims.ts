import { CREDENTIALS_AND_SECRETS_CLAIMS } from './credentials-and-secrets.ts';
import { DATA_ENCRYPTION_CLAIMS } from './data-encryption.ts';
import type { CatalogueClaim } from './entry.ts';
import { NETWORK_SECURITY_CLAIMS } from './network-security.ts';
import { SECURITY_OVERVIEW_CLAIMS } from './security-overview.ts';

export type { CatalogueClaim } from './entry.ts';

/**
 * Every promise of the four pages in `../shared/docs/`, in page order. One file per page keeps
 * each page's claims next to each other; `scenarios/src/claims.ts` reads and checks them.
 */
export const CLAIMS: CatalogueClaim[] = [
  ...SECURITY_OVERVIEW_CLAIMS,
  ...CREDENTIALS_AND_SECRETS_CLAIMS,
  ...DATA_ENCRYPTION_CLAIMS,
  ...NETWORK_SECURITY_CLAIMS,
];
