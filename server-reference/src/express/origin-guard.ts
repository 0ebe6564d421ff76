/**
 * Express middleware refusing cross-site state-changing requests that skipped a CORS preflight
 * (see {@link checkRequestOrigin}).
 */
import type { RequestHandler } from 'express';
import { checkRequestOrigin } from '../auth/origin-check';

/** Refuses (403 envelope) a simple cross-origin request from an origin not in `allowedOrigins`. */
export function originGuard(allowedOrigins: ReadonlySet<string>): RequestHandler {
  return (req, _res, next) => {
    checkRequestOrigin(
      {
        method: req.method,
        headers: {
          origin: req.get('origin'),
          'sec-fetch-site': req.get('sec-fetch-site'),
          host: req.get('host'),
          'content-type': req.get('content-type'),
        },
      },
      allowedOrigins,
    );
    next();
  };
}
