/**
 * The browser viewer page's port on 127.0.0.1 of the viewer's host. Fixed, because the cloud's
 * CORS list (CLOUD_CORS_ORIGINS, set when the lab starts) names the page's origin.
 */
export const BROWSER_VIEWER_PORT = 8480;
export const BROWSER_VIEWER_ORIGIN = `http://127.0.0.1:${BROWSER_VIEWER_PORT}`;
