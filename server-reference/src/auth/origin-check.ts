/**
 * Cross-site request blocking for state-changing routes: a page on another site can make a browser
 * send a "simple" request (a form post: multipart, urlencoded or text/plain, or no body at all)
 * without any CORS preflight, with the user's ambient credentials. Such a request is refused unless its
 * `Origin` is the server's own or explicitly allowed. Requests a browser only sends after a preflight
 * (e.g. `application/json`) were already approved (or not) by the CORS policy.
 */
import { TaskBridgeError } from '@taskbridge/protocol';

/** What the check reads from a request. */
export interface OriginCheckRequest {
  method: string;
  /** Lower-cased header names. */
  headers: Readonly<Record<string, string | undefined>>;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const SIMPLE_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

/** True when a browser may send this request cross-origin without a CORS preflight. */
function isSimpleRequest(request: OriginCheckRequest): boolean {
  const type = request.headers['content-type'];
  if (type === undefined || type.trim() === '') return true;
  return SIMPLE_TYPES.has(type.split(';')[0]?.trim().toLowerCase() ?? '');
}

function hostOf(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined;
  }
}

/**
 * Refuses a cross-origin state-changing request a browser could have sent without a preflight.
 * Same-origin is `Sec-Fetch-Site: same-origin`, or an `Origin` whose host is the request's `Host`
 * (scheme ignored: a TLS-terminating proxy hides it). A request with neither `Origin` nor a
 * cross-site `Sec-Fetch-Site` is not from a browser page and passes.
 *
 * @param allowedOrigins - exact origins (`https://app.example`) that may send such requests.
 * @throws {TaskBridgeError} `INVALID_REQUEST` with status 403 and `details.reason`
 *   `'cross_origin_request'`.
 */
export function checkRequestOrigin(request: OriginCheckRequest, allowedOrigins: ReadonlySet<string>): void {
  if (SAFE_METHODS.has(request.method.toUpperCase())) return;
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin') return;
  const origin = request.headers.origin;
  if (origin === undefined && site !== 'cross-site' && site !== 'same-site') return;
  if (origin !== undefined && origin !== 'null') {
    if (allowedOrigins.has(origin)) return;
    const host = request.headers.host;
    if (host !== undefined && hostOf(origin) === host.toLowerCase()) return;
  }
  if (!isSimpleRequest(request)) return;
  throw new TaskBridgeError({
    code: 'INVALID_REQUEST',
    status: 403,
    message: 'cross-origin request refused: this origin is not allowed to send it',
    details: { reason: 'cross_origin_request' },
  });
}
