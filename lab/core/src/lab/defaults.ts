/**
 * Defaults the command line needs without loading the harness (its package entry `./defaults`).
 */

/**
 * Desktop hosts per site when `lab up` is not told otherwise: several scenarios need a second
 * and third user at home. (The topology's own default is one, the smallest useful lab.)
 */
export const DEFAULT_DESKTOPS = 3;

/** The most cloud processes `lab up --cloud-instances` runs behind HAProxy on the cloud host. */
export const MAX_CLOUD_INSTANCES = 8;
