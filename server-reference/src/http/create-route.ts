/**
 * `POST /tasks` (SPEC.md §2): JSON or multipart, idempotent by `clientRequestId`.
 */
import {
  type CreateTaskRequest,
  parseCreateTaskRequest,
  parseJson,
  TaskBridgeError,
} from '@taskbridge/protocol';
import express, { type RequestHandler } from 'express';
import multer from 'multer';
import type { TaskEngine } from '../engine/task-engine';
import type { Attachment } from '../engine/types';
import type { ResolvedServerOptions } from '../options';
import { authenticate } from './request-auth';

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  new TaskBridgeError({ code: 'INVALID_REQUEST', message, details });

function typeAllowed(mime: string, allowed: readonly string[]): boolean {
  const [major] = mime.toLowerCase().split('/');
  return allowed.some((a) => a === mime.toLowerCase() || (a.endsWith('/*') && a.slice(0, -2) === major));
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

function parseJsonField(fields: Record<string, unknown>, name: string): unknown {
  const raw = fields[name];
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') throw invalid(`${name} must be a single JSON text field`);
  const parsed = parseJson(raw, name);
  if (!parsed.ok) throw invalid(`${name} is not valid JSON`, { field: name });
  return parsed.value;
}

/** Reads a multipart body into a create request plus attachments. */
function fromMultipart(fields: Record<string, unknown>, files: Express.Multer.File[]) {
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
    filename: checkFilename(Buffer.from(f.originalname, 'latin1').toString('utf8')),
    contentType: f.mimetype,
    size: f.size,
    data: new Uint8Array(f.buffer.buffer, f.buffer.byteOffset, f.buffer.byteLength),
  }));
  return { candidate, attachments };
}

/** The create route's middleware chain. */
export function createTaskRoute(engine: TaskEngine, options: ResolvedServerOptions): RequestHandler[] {
  const { uploads } = options;
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: uploads.maxFileBytes,
      files: uploads.maxFiles,
      fields: 20,
      fieldSize: options.maxJsonBodyBytes,
    },
    fileFilter: (_req, file, accept) => {
      if (typeAllowed(file.mimetype, uploads.allowedTypes)) return accept(null, true);
      accept(
        new TaskBridgeError({
          code: 'UPLOAD_VALIDATION_ERROR',
          message: `attachment type ${file.mimetype} is not accepted`,
          details: { allowedTypes: [...uploads.allowedTypes] },
        }),
      );
    },
  }).fields([
    { name: 'attachment', maxCount: uploads.maxFiles },
    { name: 'attachments', maxCount: uploads.maxFiles },
  ]);
  const json = express.json({ limit: options.maxJsonBodyBytes, type: () => true });

  const parseBody: RequestHandler = (req, res, next) => {
    if (req.is('application/json')) return json(req, res, next);
    if (req.is('multipart/form-data')) return upload(req, res, next);
    next(
      new TaskBridgeError({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'send application/json or multipart/form-data',
      }),
    );
  };

  const handle: RequestHandler = async (req, res) => {
    const auth = await authenticate(options.auth, req);
    let candidate: unknown = req.body;
    let attachments: Attachment[] = [];
    if (req.is('multipart/form-data')) {
      const files = Object.values((req.files ?? {}) as Record<string, Express.Multer.File[]>).flat();
      ({ candidate, attachments } = fromMultipart((req.body ?? {}) as Record<string, unknown>, files));
    }
    const parsed = parseCreateTaskRequest(candidate);
    if (!parsed.ok) {
      throw invalid(parsed.error.message, { issues: parsed.error.issues.map((i) => ({ ...i })) });
    }
    const result = await engine.createTask(auth, parsed.value as CreateTaskRequest, attachments);
    res.status(result.created ? 201 : 200).json(result.response);
  };

  return [parseBody, handle];
}
