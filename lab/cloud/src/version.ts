/** Reported by GET /healthz. */
export const CLOUD_VERSION = '0.1.0';
