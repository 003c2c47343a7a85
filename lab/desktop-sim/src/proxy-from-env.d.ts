// proxy-from-env 2.x ships no type declarations.
declare module 'proxy-from-env' {
  export function getProxyForUrl(url: string | URL): string;
}
