/**
 * The access log: one `info` entry per HTTP request (when its response is done or dropped) and per
 * WebSocket (when it closes), through the server's `logger`. Credentials never reach it: headers
 * are not logged, and the `access_token` and `ticket` query values are redacted.
 */
import type { IncomingMessage } from 'node:http';
import { ACCESS_TOKEN_QUERY_PARAM, STREAM_TICKET_QUERY_PARAM } from '@taskbridge/protocol';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger';

const SECRET_PARAMS = new Set([ACCESS_TOKEN_QUERY_PARAM, STREAM_TICKET_QUERY_PARAM]);

/** `path?query` with the value of every credential parameter replaced by `REDACTED`. */
export function redactedUrl(url: string): string {
  const question = url.indexOf('?');
  if (question === -1) return url;
  const params = new URLSearchParams(url.slice(question + 1));
  let redacted = false;
  for (const name of SECRET_PARAMS) {
    if (params.has(name)) {
      params.set(name, 'REDACTED');
      redacted = true;
    }
  }
  return redacted ? `${url.slice(0, question)}?${params}` : url;
}

/** Express middleware writing the access entry of each request when its response closes. */
export function accessLogMiddleware(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    res.once('close', () => {
      logger({
        level: 'info',
        msg: 'access',
        method: req.method,
        url: redactedUrl(req.originalUrl),
        status: res.statusCode,
        // False when the client went away (or the server dropped it) before the response ended.
        completed: res.writableFinished,
        durationMs: Math.round(performance.now() - started),
        remoteAddress: req.socket.remoteAddress,
      });
    });
    next();
  };
}

/** Writes the access entry of a WebSocket once it closed. */
export function logWebSocketAccess(
  logger: Logger,
  req: IncomingMessage,
  started: number,
  closeCode: number,
): void {
  logger({
    level: 'info',
    msg: 'access',
    method: 'GET',
    url: redactedUrl(req.url ?? '/'),
    status: 101,
    closeCode,
    durationMs: Math.round(performance.now() - started),
    remoteAddress: req.socket.remoteAddress,
  });
}
