/**
 * `POST /tasks` (protocol/SPEC.md §2) on Express: JSON or multipart (streamed through multer, which enforces
 * the upload limits while reading), then the shared {@link createTaskOp}.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import express, { type RequestHandler } from 'express';
import multer from 'multer';
import type { TaskEngine } from '../engine/task-engine';
import type { Attachment } from '../engine/types';
import type { ResolvedServerOptions } from '../options';
import { createTaskOp } from '../wire/operations';
import { checkUploadType, fromMultipart } from '../wire/uploads';
import { authenticate } from './request-auth';

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
      try {
        checkUploadType(file.mimetype, uploads);
        accept(null, true);
      } catch (error) {
        accept(error as TaskBridgeError);
      }
    },
  }).fields([
    { name: 'attachment', maxCount: uploads.maxFiles },
    { name: 'attachments', maxCount: uploads.maxFiles },
  ]);
  const json = express.json({ limit: options.maxJsonBodyBytes, type: () => true });

  const parseBody: RequestHandler = (req, res, next) => {
    if (req.is('application/json')) return json(req, res, next);
    if (req.is('multipart/form-data')) {
      // busboy reports a broken body (no boundary, truncated, bad part header) as a plain Error: a 400.
      return upload(req, res, (error?: unknown) => {
        const limit = error instanceof multer.MulterError && error.code.startsWith('LIMIT_');
        if (error === undefined || error instanceof TaskBridgeError || limit) return next(error);
        next(new TaskBridgeError({ code: 'INVALID_REQUEST', message: 'malformed multipart body' }));
      });
    }
    next(
      new TaskBridgeError({
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: 'send application/json or multipart/form-data',
      }),
    );
  };

  const handle: RequestHandler = async (req, res) => {
    const auth = await authenticate(options, req, 'create');
    let candidate: unknown = req.body;
    let attachments: Attachment[] = [];
    if (req.is('multipart/form-data')) {
      const files = Object.values((req.files ?? {}) as Record<string, Express.Multer.File[]>)
        .flat()
        .map((f) => ({
          field: f.fieldname,
          // multer hands over the raw header bytes as latin1; browsers send UTF-8 names.
          filename: Buffer.from(f.originalname, 'latin1').toString('utf8'),
          contentType: f.mimetype,
          data: new Uint8Array(f.buffer.buffer, f.buffer.byteOffset, f.buffer.byteLength),
        }));
      ({ candidate, attachments } = fromMultipart((req.body ?? {}) as Record<string, unknown>, files));
    }
    const { status, body } = await createTaskOp(engine, auth, candidate, attachments);
    res.status(status).json(body);
  };

  return [parseBody, handle];
}
