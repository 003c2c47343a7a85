// proxy-from-env 2.x ships no type declarations.
declare module 'proxy-from-env' {
  /** The proxy URL for `url` per *_PROXY / NO_PROXY, or '' when it goes direct. */
  export function getProxyForUrl(url: string | URL): string;
}
