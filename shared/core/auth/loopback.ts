/**
 * The loopback redirect receiver of a native-app OAuth flow (RFC 8252 §7.3): an HTTP server
 * on `127.0.0.1` with a port chosen by the OS, waiting for exactly one browser redirect to
 * `/callback` that carries the expected `state`. Requests with another path or a wrong
 * `state` get an error page and do not end the wait (they may be probes by other local
 * programs); an `error=` redirect with the right state ends it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AppError } from '../errors';

/** What the authorization server sent back to the redirect URI. */
export interface CallbackResult {
  readonly code: string;
}

/** A listening receiver. */
export interface LoopbackReceiver {
  /** `http://127.0.0.1:<port>/callback` */
  readonly redirectUri: string;
  /** Resolves with the code once a redirect with the right `state` arrives. */
  waitForCode(state: string, opts?: { signal?: AbortSignal; timeoutMs?: number }): Promise<CallbackResult>;
  /** Stops listening (idempotent). */
  close(): Promise<void>;
}

const PAGE = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
  `<style>body{font:16px system-ui,sans-serif;margin:4rem auto;max-width:32rem;color:#222}</style></head>` +
  `<body><h1>${title}</h1><p>${body}</p></body></html>`;

function send(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    'referrer-policy': 'no-referrer',
  });
  res.end(PAGE(title, body));
}

/** Starts a receiver on 127.0.0.1 with a random free port (or `port`, for servers that insist on a registered one). */
export async function startLoopbackReceiver(port = 0): Promise<LoopbackReceiver> {
  let expectedState: string | undefined;
  let settle: { resolve: (r: CallbackResult) => void; reject: (e: AppError) => void } | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET' || url.pathname !== '/callback') {
      send(res, 404, 'Not found', 'This address only receives the sign-in answer of Odoo Backup Desk.');
      return;
    }
    const state = url.searchParams.get('state');
    if (!expectedState || !settle || state !== expectedState) {
      send(res, 400, 'Sign-in not recognised', 'This answer does not belong to the sign-in Odoo Backup Desk started. Start again from the app.');
      return;
    }
    const error = url.searchParams.get('error');
    const code = url.searchParams.get('code');
    const s = settle;
    settle = undefined;
    if (error) {
      send(res, 200, 'Sign-in not completed', 'The sign-in was declined or failed. You can close this window and try again from Odoo Backup Desk.');
      const denied = error === 'access_denied';
      s.reject(
        new AppError('AuthFailed', denied ? 'Access was declined in the browser.' : `The sign-in failed: ${error}.`, {
          hint: denied ? 'Start the connection again and allow access.' : 'Check the client id and the authorization endpoint of this storage.',
          details: { oauthError: error },
        }),
      );
      return;
    }
    if (!code) {
      send(res, 400, 'Sign-in not completed', 'The answer carried no authorization code. Start again from the app.');
      s.reject(new AppError('AuthFailed', 'The authorization server answered without a code.', { hint: 'Try connecting again.' }));
      return;
    }
    send(res, 200, 'Connected', 'Odoo Backup Desk is now connected. You can close this window.');
    s.resolve({ code });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) =>
      reject(
        new AppError('Fatal', `Cannot listen on 127.0.0.1${port ? `:${port}` : ''} for the sign-in answer: ${err.message}`, {
          cause: err,
          hint: port ? 'Another program uses that port: close it or choose another port.' : 'Check that loopback networking works on this machine.',
        }),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return {
    redirectUri: `http://127.0.0.1:${bound}/callback`,
    close,
    waitForCode: (state, opts = {}) =>
      new Promise<CallbackResult>((resolve, reject) => {
        const timeoutMs = opts.timeoutMs ?? 5 * 60_000;
        const done = (): void => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
          settle = undefined;
          expectedState = undefined;
        };
        const onAbort = (): void => {
          done();
          reject(new AppError('Cancelled', 'The sign-in was cancelled.'));
        };
        const timer = setTimeout(() => {
          done();
          reject(
            new AppError('AuthFailed', `The sign-in was not completed within ${Math.round(timeoutMs / 1000)} s.`, {
              hint: 'Start the connection again and finish the sign-in in the browser.',
              details: { timeout: true },
            }),
          );
        }, timeoutMs);
        if (opts.signal?.aborted) {
          onAbort();
          return;
        }
        opts.signal?.addEventListener('abort', onAbort, { once: true });
        expectedState = state;
        settle = {
          resolve: (r) => {
            done();
            resolve(r);
          },
          reject: (e) => {
            done();
            reject(e);
          },
        };
      }),
  };
}
