/**
 * coturn 4.6 log lines (with `verbose`) turned into events. The lines look like
 *   `12: : session 001000000000000001: new, realm=<r>, username=<1700000000:u>, lifetime=600[, cipher=…, method=TLSv1.2]`
 *   `12: : session 001000000000000001: realm <r> user <u>: incoming packet ALLOCATE processed, success`
 *   `12: : session 001000000000000001: realm <r> user <u>: incoming packet message processed, error 401: Unauthorized`
 *   `40: : session 001000000000000001: closed (2nd stage), user <u> realm <r> origin <>, local A:P, remote A:P, reason: …`
 * coturn does not say UDP or TCP when a session starts: an allocation is `tls` when the session
 * line carries a cipher, otherwise `plain`; the close event names udp/tcp/tls from its reason.
 */
export type TurnEvent =
  | { event: 'turn.session'; session: string; user: string; realm: string; lifetime: number; tls: boolean; tlsVersion?: string }
  | { event: 'turn.allocation'; session: string; user: string; realm: string; transport: 'tls' | 'plain' }
  | { event: 'turn.auth_failed'; session: string; user: string; realm: string; request: string; status: number; reason: string }
  | { event: 'turn.request_failed'; session: string; user: string; request: string; status: number; reason: string }
  | {
      event: 'turn.closed';
      session: string;
      user: string;
      local: string;
      remote: string;
      reason: string;
      transport: 'udp' | 'tcp' | 'tls';
    };

const SESSION_NEW = /session (\d+): new, realm=<([^>]*)>, username=<([^>]*)>, lifetime=(\d+)(?:, cipher=[^,]*, method=(\S+))?/;
const PACKET = /session (\d+): realm <([^>]*)> user <([^>]*)>: incoming packet (\S+) processed, (?:success|error (\d+): (.*))$/;
const CLOSED =
  /session (\d+): closed \(2nd stage\), user <([^>]*)> realm <[^>]*> origin <[^>]*>, local (\S+), remote (\S+), reason: (.*)$/;

/** Parses one coturn line; sessions remembers which sessions were TLS (for the close event). */
export class TurnLogParser {
  readonly #tlsSessions = new Set<string>();

  parse(line: string): TurnEvent | undefined {
    let m = SESSION_NEW.exec(line);
    if (m) {
      const [, session, realm, user, lifetime, method] = m as unknown as [
        string,
        string,
        string,
        string,
        string,
        string | undefined,
      ];
      if (method) this.#tlsSessions.add(session);
      return {
        event: 'turn.session',
        session,
        user,
        realm,
        lifetime: Number(lifetime),
        tls: method !== undefined,
        ...(method ? { tlsVersion: method } : {}),
      };
    }
    m = PACKET.exec(line);
    if (m) {
      const [, session, realm, user, request, status, reason] = m as unknown as [
        string,
        string,
        string,
        string,
        string,
        string?,
        string?,
      ];
      if (status === undefined) {
        if (request !== 'ALLOCATE') return undefined;
        return { event: 'turn.allocation', session, user, realm, transport: this.#tlsSessions.has(session) ? 'tls' : 'plain' };
      }
      // The first request of every session is answered 401 with a nonce before any user is
      // known: that is the normal challenge, not a failure.
      if (status === '401' && user === '') return undefined;
      if (status === '401' || status === '437' || status === '441')
        return { event: 'turn.auth_failed', session, user, realm, request, status: Number(status), reason: reason ?? '' };
      return { event: 'turn.request_failed', session, user, request, status: Number(status), reason: reason ?? '' };
    }
    m = CLOSED.exec(line);
    if (m) {
      const [, session, user, local, remote, reason] = m as unknown as [string, string, string, string, string, string];
      const transport = this.#tlsSessions.has(session) || /TLS/.test(reason) ? 'tls' : /TCP/.test(reason) ? 'tcp' : 'udp';
      this.#tlsSessions.delete(session);
      return { event: 'turn.closed', session, user, local, remote, reason, transport };
    }
    return undefined;
  }
}
