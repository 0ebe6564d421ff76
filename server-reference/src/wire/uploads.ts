/**
 * Multipart uploads of `POST /tasks` (protocol/SPEC.md §2), transport-neutral: text fields and files in, a
 * create candidate and validated attachments out. Express streams uploads through multer (which
 * enforces the size and count limits while reading); MSW hands over `request.formData()`.
 */
import { parseJson, TaskBridgeError } from '@taskbridge/protocol';
import type { Attachment } from '../engine/types';
import type { ResolvedServerOptions } from '../options';

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  new TaskBridgeError({ code: 'INVALID_REQUEST', message, details });

/** An uploaded file as the adapters hand it over, before validation. */
export interface UploadedFile {
  /** Multipart field name (`attachment` or `attachments`). */
  field: string;
  /** File name as sent, already decoded to a JS string. */
  filename: string;
  contentType: string;
  data: Uint8Array;
}

/** True when `mime` is in `allowed` (`type/*` wildcards allowed), case-insensitively. */
export function uploadTypeAllowed(mime: string, allowed: readonly string[]): boolean {
  const lower = mime.toLowerCase();
  const [major] = lower.split('/');
  return allowed.some((a) => a === lower || (a.endsWith('/*') && a.slice(0, -2) === major));
}

/**
 * Checks an attachment's type against the upload options (protocol/SPEC.md §2).
 *
 * @throws {TaskBridgeError} `UPLOAD_VALIDATION_ERROR` (400) for a type not in `allowedTypes`.
 */
export function checkUploadType(contentType: string, uploads: ResolvedServerOptions['uploads']): void {
  if (uploadTypeAllowed(contentType, uploads.allowedTypes)) return;
  throw new TaskBridgeError({
    code: 'UPLOAD_VALIDATION_ERROR',
    message: `attachment type ${contentType} is not accepted`,
    details: { allowedTypes: [...uploads.allowedTypes] },
  });
}

// Browsers send base names; anything with a path or control characters is an attack or a bug.
function checkFilename(name: string): string {
  const hasControl = Array.from(name).some((c) => c.charCodeAt(0) < 0x20);
  if (
    name.length === 0 ||
    name.length > 255 ||
    /[/\\]/.test(name) ||
    hasControl ||
    name === '.' ||
    name === '..'
  ) {
    throw new TaskBridgeError({
      code: 'UPLOAD_VALIDATION_ERROR',
      message: 'attachment file names must be plain base names',
      details: { filename: name.slice(0, 255) },
    });
  }
  return name;
}

/**
 * Checks count, field names, size and type of uploads (protocol/SPEC.md §2) for adapters that receive the
 * whole multipart body at once (MSW). Express streams uploads through multer, which enforces the same
 * limits while reading.
 *
 * @throws {TaskBridgeError} `PAYLOAD_TOO_LARGE` (413) for a file over `maxFileBytes`;
 *   `UPLOAD_VALIDATION_ERROR` (400) for too many files, an unexpected file field or a refused type.
 */
export function checkUploads(
  files: readonly UploadedFile[],
  uploads: ResolvedServerOptions['uploads'],
): void {
  const unexpected = files.find((f) => f.field !== 'attachment' && f.field !== 'attachments');
  if (unexpected) {
    throw new TaskBridgeError({
      code: 'UPLOAD_VALIDATION_ERROR',
      message: 'upload rejected: limit unexpected file',
      details: { field: unexpected.field },
    });
  }
  if (files.length > uploads.maxFiles) {
    throw new TaskBridgeError({
      code: 'UPLOAD_VALIDATION_ERROR',
      message: 'upload rejected: limit file count',
    });
  }
  for (const file of files) {
    if (file.data.byteLength > uploads.maxFileBytes) {
      throw new TaskBridgeError({ code: 'PAYLOAD_TOO_LARGE', message: 'request body or upload too large' });
    }
    checkUploadType(file.contentType, uploads);
  }
}

function parseJsonField(fields: Readonly<Record<string, unknown>>, name: string): unknown {
  const raw = fields[name];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw invalid(`${name} must be a single JSON text field`);
  const parsed = parseJson(raw, name);
  if (!parsed.ok) throw invalid(`${name} is not valid JSON`, { field: name });
  return parsed.value;
}

/**
 * Reads multipart text fields and files into a create candidate plus attachments (protocol/SPEC.md §2: the
 * JSON fields' text parts, `input`/`metadata` as JSON strings). A repeated text field is an array.
 *
 * @throws {TaskBridgeError} `INVALID_REQUEST` for `input`/`metadata` that is not JSON;
 *   `UPLOAD_VALIDATION_ERROR` for a file name with a path or control characters.
 */
export function fromMultipart(
  fields: Readonly<Record<string, unknown>>,
  files: readonly UploadedFile[],
): { candidate: Record<string, unknown>; attachments: Attachment[] } {
  const single = (name: string) => {
    const value = fields[name];
    return Array.isArray(value) ? undefined : value;
  };
  const candidate: Record<string, unknown> = {
    clientRequestId: single('clientRequestId'),
    taskType: single('taskType'),
  };
  const input = parseJsonField(fields, 'input');
  const metadata = parseJsonField(fields, 'metadata');
  if (input !== undefined) candidate.input = input;
  if (metadata !== undefined) candidate.metadata = metadata;
  const attachments: Attachment[] = files.map((f) => ({
    filename: checkFilename(f.filename),
    contentType: f.contentType,
    size: f.data.byteLength,
    data: f.data,
  }));
  return { candidate, attachments };
}
