/**
 * The JSON error envelope and error codes (protocol/SPEC.md §8).
 */

/** Every error code of protocol/SPEC.md §8, including this project's additions. */
export const ERROR_CODES = [
  'INVALID_REQUEST',
  'UPLOAD_VALIDATION_ERROR',
  'AUTHENTICATION_ERROR',
  'TASK_OWNERSHIP_ERROR',
  'TASK_NOT_FOUND',
  'IDEMPOTENCY_CONFLICT',
  'REQUEST_VALIDATION_ERROR',
  'TASK_SUBMISSION_ERROR',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'RATE_LIMITED',
  'INTERNAL_ERROR',
] as const;

/** A server error code (protocol/SPEC.md §8). */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** HTTP status for each error code (protocol/SPEC.md §8). */
export const ERROR_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_REQUEST: 400,
  UPLOAD_VALIDATION_ERROR: 400,
  AUTHENTICATION_ERROR: 401,
  TASK_OWNERSHIP_ERROR: 403,
  TASK_NOT_FOUND: 404,
  IDEMPOTENCY_CONFLICT: 409,
  REQUEST_VALIDATION_ERROR: 422,
  TASK_SUBMISSION_ERROR: 503,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL_ERROR: 500,
};

/** The body of every HTTP error response (protocol/SPEC.md §8). */
export interface ErrorEnvelope {
  /** One of {@link ERROR_CODES}; a peer may send codes this version does not know. */
  code: ErrorCode | (string & {});
  message: string;
  details: Record<string, unknown>;
  /** ISO-8601 UTC. */
  timestamp: string;
}
