/**
 * Web-standard (`Request`/`Response`) edges of the MSW adapter: the auth view of a request, its query,
 * its JSON or multipart body (through `request.formData()`, no hand-written parser) and responses.
 * Everything protocol-specific lives in `../wire/operations.ts`; this file only translates.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import { HttpResponse } from 'msw';
import type { Attachment } from '../engine/types';
import type { AuthRequest } from '../auth/auth';
import { errorResponseOf, toTaskBridgeError } from '../wire/envelope';
import type { QueryValues } from '../wire/operations';
import { checkUploads, fromMultipart, type UploadedFile } from '../wire/uploads';
import type { Logger } from '../logger';
import type { ResolvedServerOptions } from '../options';

/** Route params as MSW hands them over. */
export type RouteParams = Readonly<Record<string, string | readonly string[] | undefined>>;

const JSON_TYPE = /^application\/json\s*(;|$)/i;
const MULTIPART_TYPE = /^multipart\/form-data\s*(;|$)/i;

/** The query of a URL; a repeated parameter becomes an array (as Express's simple parser does). */
export function queryValuesOf(url: URL): QueryValues {
  const query: Record<string, string | string[]> = {};
  for (const [name, value] of url.searchParams) {
    const seen = query[name];
    query[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return query;
}

/** A route param as one string (`''` when absent). */
export function paramOf(params: RouteParams, name: string): string {
  const value = params[name];
  return typeof value === 'string' ? value : (value?.[0] ?? '');
}

/**
 * The {@link AuthRequest} of a web request: lower-cased headers, the query and the path params other
 * than `taskId`. A WebSocket connection has no headers in MSW: pass `headers` as `undefined`.
 */
export function authRequestOf(
  method: string,
  url: URL,
  headers: Headers | undefined,
  params: RouteParams,
): AuthRequest {
  const pathParams: Record<string, string> = {};
  for (const name of Object.keys(params)) if (name !== 'taskId') pathParams[name] = paramOf(params, name);
  const flat: Record<string, string> = {};
  headers?.forEach((value, name) => {
    flat[name.toLowerCase()] = value;
  });
  return {
    method,
    url: `${url.pathname}${url.search}`,
    headers: flat,
    query: Object.fromEntries(url.searchParams),
    pathParams,
  };
}

async function readBytes(request: Request): Promise<Uint8Array> {
  return new Uint8Array(await request.arrayBuffer());
}

function decodeLimited(bytes: Uint8Array, maxBytes: number): string {
  if (bytes.byteLength > maxBytes) {
    throw new TaskBridgeError({ code: 'PAYLOAD_TOO_LARGE', message: 'request body or upload too large' });
  }
  return new TextDecoder().decode(bytes);
}

function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new TaskBridgeError({ code: 'INVALID_REQUEST', message: 'malformed JSON body' });
  }
}

/**
 * An optional JSON body (cancel, actions): empty → `undefined`.
 *
 * @throws {TaskBridgeError} `UNSUPPORTED_MEDIA_TYPE` (415) for a non-JSON body, `PAYLOAD_TOO_LARGE`
 *   (413) above `maxBytes`, `INVALID_REQUEST` (400) for malformed JSON.
 */
export async function readOptionalJson(request: Request, maxBytes: number): Promise<unknown> {
  const bytes = await readBytes(request);
  if (bytes.byteLength === 0) return undefined;
  // Same order as the Express chain: media type first, then size, then syntax.
  if (!JSON_TYPE.test(request.headers.get('content-type') ?? '')) {
    throw new TaskBridgeError({ code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send application/json' });
  }
  return parseJsonText(decodeLimited(bytes, maxBytes));
}

/**
 * The create body (protocol/SPEC.md §2): JSON, or multipart text fields plus `attachment`/`attachments` files.
 *
 * @throws {TaskBridgeError} `UNSUPPORTED_MEDIA_TYPE` (415) for other content types; the errors of
 *   {@link checkUploads} and {@link fromMultipart}; `INVALID_REQUEST` for an unreadable body.
 */
export async function readCreateBody(
  request: Request,
  options: ResolvedServerOptions,
): Promise<{ candidate: unknown; attachments: Attachment[] }> {
  const type = request.headers.get('content-type') ?? '';
  if (JSON_TYPE.test(type)) {
    const text = decodeLimited(await readBytes(request), options.maxJsonBodyBytes);
    return { candidate: text === '' ? undefined : parseJsonText(text), attachments: [] };
  }
  if (!MULTIPART_TYPE.test(type)) {
    throw new TaskBridgeError({
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'send application/json or multipart/form-data',
    });
  }
  let form: FormData;
  try {
    form = await request.formData();
  } catch (cause) {
    throw new TaskBridgeError({ code: 'INVALID_REQUEST', message: 'malformed multipart body', cause });
  }
  const fields: Record<string, string | string[]> = {};
  const files: UploadedFile[] = [];
  for (const [name, value] of form.entries()) {
    if (typeof value === 'string') {
      const seen = fields[name];
      fields[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    } else {
      files.push({
        field: name,
        filename: value.name,
        contentType: value.type || 'application/octet-stream',
        data: new Uint8Array(await value.arrayBuffer()),
      });
    }
  }
  checkUploads(files, options.uploads);
  return fromMultipart(fields, files);
}

/** A JSON response. */
export function jsonResponse(status: number, body: unknown): Response {
  return HttpResponse.json(body as never, { status });
}

/** The protocol/SPEC.md §8 envelope response for anything thrown (unknown errors are logged as `INTERNAL_ERROR`). */
export function errorResponse(error: unknown, logger: Logger): Response {
  const { status, headers, body } = errorResponseOf(toTaskBridgeError(error, logger));
  return HttpResponse.json(body, { status, headers });
}
