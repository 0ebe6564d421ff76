/**
 * The error envelope on every HTTP error path (protocol/SPEC.md §8): JSON, never a stack trace, never a
 * plain-text 500.
 */
import { type ErrorEnvelope, TaskBridgeError } from '@taskbridge/protocol';
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from '../logger';

/** An error response, transport-neutral: status, extra headers and the protocol/SPEC.md §8 envelope. */
export interface ErrorResponse {
  status: number;
  /** `Retry-After` (whole seconds, rounded up) when the error carries `retryAfterMs`. */
  headers: Record<string, string>;
  body: ErrorEnvelope;
}

/** The protocol/SPEC.md §8 response for `error`: its status (500 when it has none), envelope and `Retry-After`. */
export function errorResponseOf(error: TaskBridgeError): ErrorResponse {
  const headers: Record<string, string> = {};
  if (error.retryAfterMs !== undefined) headers['Retry-After'] = String(Math.ceil(error.retryAfterMs / 1000));
  return { status: error.status ?? 500, headers, body: error.toEnvelope() };
}

/** Sends `error` as the protocol/SPEC.md §8 envelope with its status (and `Retry-After` for 429). */
export function sendError(res: Response, error: TaskBridgeError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const { status, headers, body } = errorResponseOf(error);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.status(status).json(body);
}

interface BodyParserError {
  type?: string;
  status?: number;
  code?: string;
  field?: string;
}

/**
 * Maps whatever reached Express's error handler to a TaskBridgeError: body-parser's malformed JSON
 * (400) and too-large (413), multer's limits (413/400), our own errors as they are, the rest as a
 * logged `INTERNAL_ERROR` with a generic message.
 */
export function toTaskBridgeError(error: unknown, logger: Logger): TaskBridgeError {
  if (error instanceof TaskBridgeError) return error;
  const e = (typeof error === 'object' && error !== null ? error : {}) as BodyParserError;
  if (e.type === 'entity.too.large' || e.code === 'LIMIT_FILE_SIZE' || e.code === 'LIMIT_FIELD_VALUE') {
    return new TaskBridgeError({ code: 'PAYLOAD_TOO_LARGE', message: 'request body or upload too large' });
  }
  if (e.type === 'entity.parse.failed') {
    return new TaskBridgeError({ code: 'INVALID_REQUEST', message: 'malformed JSON body' });
  }
  if (typeof e.code === 'string' && e.code.startsWith('LIMIT_')) {
    return new TaskBridgeError({
      code: 'UPLOAD_VALIDATION_ERROR',
      message: `upload rejected: ${e.code.toLowerCase().replaceAll('_', ' ')}`,
      details: e.field === undefined ? {} : { field: e.field },
    });
  }
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return new TaskBridgeError({
      code: e.status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'INVALID_REQUEST',
      message: 'invalid request',
    });
  }
  logger({
    level: 'error',
    msg: 'unhandled error',
    error: error instanceof Error ? error.message : String(error),
  });
  return new TaskBridgeError({ code: 'INTERNAL_ERROR', message: 'internal error', retryable: true });
}

/** Express error middleware that answers with the envelope. */
export function errorEnvelopeMiddleware(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    sendError(res, toTaskBridgeError(error, logger));
  };
}
