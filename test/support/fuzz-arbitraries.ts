/**
 * fast-check arbitraries for fuzzing the reference server with bad input: JSON bodies of the wrong
 * shape, malformed JSON text, odd content types, poll queries and cursors, multipart uploads with
 * hostile file names, and WebSocket frames.
 */
import fc from 'fast-check';
import { isSendableHeaderValue } from './fuzz-http';

/** A string of `length` characters, built directly (fast-check is slow at generating huge strings). */
const huge = (min: number, max: number) =>
  fc
    .tuple(fc.integer({ min, max }), fc.constantFrom('x', 'é', '\u{1F4A5}', '"', '\\'))
    .map(([n, c]) => c.repeat(n));

/** Strings people and attackers send: empty, control, unicode, path-like, injection-like. */
export const nastyString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '../../etc/passwd',
    '..\\..\\x',
    '%2e%2e%2f',
    '\u202e',
    '💥',
    '<script>',
    "' OR 1=1 --",
    '__proto__',
    'constructor',
  ),
);

/** {@link nastyString} or a long string (1,000–20,000 characters), for bodies. */
export const nastyBodyString = fc.oneof(nastyString, huge(1_000, 20_000));

/** A string longer than Node's 16 KiB header limit, for request lines and headers. */
export const oversizedString = huge(20_000, 40_000);

/** JSON text nested `min`–`max` levels deep, as objects or arrays. */
export const deepJsonText = (min: number, max: number) =>
  fc
    .tuple(fc.integer({ min, max }), fc.boolean())
    .map(([depth, arrays]) =>
      arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
    );

/** Serialises anything fast-check makes; `undefined` becomes an empty body. */
export const toJsonText = (value: unknown): string => JSON.stringify(value) ?? '';

/** Objects shaped roughly like a create request: random subsets, wrong types, unknown fields. */
export const createLikeBody = fc
  .tuple(
    fc.record(
      {
        clientRequestId: fc.oneof(fc.string({ maxLength: 12 }), nastyBodyString, fc.anything()),
        taskType: fc.oneof(
          fc.constantFrom('greet', 'fail', 'approval', 'nope', ''),
          nastyBodyString,
          fc.anything(),
        ),
        input: fc.oneof(fc.object(), fc.dictionary(fc.string(), fc.jsonValue()), fc.anything()),
        metadata: fc.oneof(fc.object(), fc.anything()),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.anything(), { maxKeys: 2 }),
  )
  .map(([known, unknown]) => toJsonText({ ...unknown, ...known }));

/** A create body whose `input` is nested `min`–`max` levels deep (valid otherwise). */
export const deepInputCreateBody = (min: number, max: number) =>
  fc
    .tuple(fc.string({ minLength: 1, maxLength: 12 }), deepJsonText(min, max))
    .map(
      ([id, deep]) =>
        `{"clientRequestId":${JSON.stringify(`deep-${id}`)},"taskType":"greet","input":{"d":${deep}}}`,
    );

/** Nesting depth the broad properties use; deeper input has its own property. */
const BROAD_MAX_DEPTH = 1_000;

/** Any JSON body text: arbitrary values, create-like objects, nesting, huge strings. */
export const jsonBodyText = fc.oneof(
  { arbitrary: fc.anything().map(toJsonText), weight: 3 },
  { arbitrary: fc.jsonValue().map(toJsonText), weight: 2 },
  { arbitrary: createLikeBody, weight: 4 },
  { arbitrary: deepInputCreateBody(1, BROAD_MAX_DEPTH), weight: 1 },
  { arbitrary: deepJsonText(1, BROAD_MAX_DEPTH * 10), weight: 1 },
  {
    arbitrary: huge(100_000, 1_200_000).map((s) => toJsonText({ clientRequestId: 'big', taskType: s })),
    weight: 1,
  },
);

/** Text that is not JSON, or is JSON cut short. */
export const malformedJsonText = fc.oneof(
  fc.string(),
  fc.jsonValue().map((v) => {
    const text = toJsonText(v);
    return text.slice(0, Math.max(0, text.length - 1));
  }),
  fc.constantFrom(
    '{',
    '{"a":',
    '[1,2',
    '{"clientRequestId":"x",}',
    'NaN',
    'undefined',
    "{'a':1}",
    '\uFEFF{}',
    '{}{}',
  ),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
);

/**
 * Content types, plausible and not; `undefined` means "no header". Multipart types are left to the
 * multipart properties, which send bodies that at least look like multipart.
 */
export const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/json; charset=utf-16',
    'application/json; charset=klingon',
    'application/vnd.api+json',
    'text/json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'application/*',
    '*/*',
    'json',
    '',
    undefined,
  ),
  fc
    .string({ maxLength: 40 })
    .filter((t) => isSendableHeaderValue(t) && !t.trim().toLowerCase().startsWith('multipart/')),
);

/** Optional `Content-Encoding` values, most of which the body does not really have. */
export const contentEncoding = fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-bogus'), {
  freq: 4,
});

/** `Authorization` header values; `undefined` means anonymous. */
export const authorization = fc.oneof(
  fc.constantFrom(
    undefined,
    'Bearer alice',
    'Bearer alice',
    'Bearer mallory',
    'Bearer',
    'Basic YTpi',
    'bearer  alice',
  ),
  fc.string({ maxLength: 40 }).filter(isSendableHeaderValue),
);

/** Cursor candidates: valid ids, huge numbers, path tricks, unicode, heartbeat ids. */
export const cursor = fc.oneof(
  fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => `${a}-${b}`),
  fc.stringMatching(/^\d{1,80}(-\d{1,80})?$/),
  fc.constantFrom(
    '',
    '0',
    '0-0',
    '-1',
    '1-',
    '1--1',
    '1.5',
    '1e9',
    'hb-1',
    '../',
    '../../etc/passwd',
    '%00',
    '💥-1',
  ),
  nastyString,
);

/** Query values for integer parameters: in range, out of range, and not integers. */
export const intParam = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min, max }).map(String),
    fc.integer({ min: -1_000_000, max: 1_000_000 }).map(String),
    fc.constantFrom('', '-0', '1e3', '0x10', ' 5', '5 ', 'NaN', 'Infinity', '99999999999999999999', '1.5'),
    nastyString,
  );

/** A path segment for `{taskId}`: percent-encoded garbage or raw traversal forms. */
export const taskIdSegment = (known: readonly string[]) =>
  fc.oneof(
    { arbitrary: fc.constantFrom(...known), weight: 4 },
    { arbitrary: nastyString.map(encodeURIComponent), weight: 3 },
    {
      arbitrary: fc.constantFrom(
        '..',
        '.',
        '..%2F..%2Fetc%2Fpasswd',
        '%2e%2e',
        '%E0%A4%A',
        '%00',
        'ws',
        '%F0%9F%92%A5',
      ),
      weight: 2,
    },
  );

/** Query string from name/value pairs, percent-encoded. */
export const queryString = (pairs: readonly (readonly [string, string])[]): string =>
  pairs.length === 0
    ? ''
    : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;

/**
 * File names for uploads, with path traversal and separators. Control characters cannot appear in a
 * well-formed part header; the malformed-multipart property sends those.
 */
export const uploadFilename = fc.oneof(
  fc.constantFrom(
    '../../etc/passwd',
    'a/b',
    '..\\x',
    '..',
    '.',
    '',
    'ok.txt',
    'C:\\Windows\\win.ini',
    '/abs.txt',
    '📄.txt',
    '%2e%2e%2fx',
    'a'.repeat(300),
    'q"uote.txt',
  ),
  fc.string({ maxLength: 30 }),
);

/** One multipart part. */
export type MultipartPart =
  | { kind: 'field'; name: string; value: string }
  | { kind: 'file'; name: string; filename: string; contentType: string; data: Uint8Array };

// Not blank and without quotes: a part name the Content-Disposition header can carry (blank names
// are in the malformed-multipart property).
const partName = fc
  .string({ minLength: 1, maxLength: 10 })
  .filter((n) => n.trim() !== '' && !n.includes('"'));

const field = fc.record({
  kind: fc.constant('field' as const),
  name: fc.oneof(fc.constantFrom('clientRequestId', 'taskType', 'input', 'metadata'), partName),
  value: fc.oneof(
    fc.constantFrom('greet', 'fail', 'approval', '{}', '{"name":"x"}', '[]', 'null', '{'),
    fc.string({ maxLength: 20 }).map((s) => `mp-${s}`),
    fc.jsonValue().map(toJsonText),
    nastyString,
  ),
});

const file = fc.record({
  kind: fc.constant('file' as const),
  name: fc.oneof(fc.constantFrom('attachment', 'attachments'), partName),
  filename: uploadFilename,
  contentType: fc.oneof(
    fc.constantFrom('text/plain', 'application/octet-stream', 'image/png', 'application/x-evil', 'text/html'),
    fc.string({ maxLength: 20 }),
  ),
  data: fc.oneof(
    fc.uint8Array({ maxLength: 256 }),
    fc.integer({ min: 0, max: 40_000 }).map((n) => new Uint8Array(n)),
  ),
});

/** A multipart body's parts and boundary. */
export const multipartParts = fc.record({
  boundary: fc.stringMatching(/^[A-Za-z0-9'()+_,./:=?-]{1,60}$/),
  parts: fc.array(fc.oneof(field, file), { maxLength: 7 }),
});

/** Ways to break a well-formed multipart body. */
export const multipartMutation = fc.constantFrom(
  'truncate',
  'no-final-boundary',
  'garbage-prefix',
  'wrong-boundary',
  'no-boundary-param',
  'header-garbage',
  'empty-part-name',
  'control-char-in-header',
  'json-body',
);

/** A way to break a multipart body (see {@link multipartMutation}). */
export type MultipartMutation = typeof multipartMutation extends fc.Arbitrary<infer M> ? M : never;

/**
 * Encodes `parts`, then breaks the result as `mutation` says; `cut` picks the truncation point.
 * Returns the content type to send with the body.
 */
export function mutateMultipart(
  boundary: string,
  parts: readonly MultipartPart[],
  mutation: MultipartMutation,
  cut: number,
): { contentType: string; body: Buffer } {
  const body = encodeMultipart(boundary, parts);
  const contentType = `multipart/form-data; boundary=${boundary}`;
  const rewrite = (from: RegExp, to: string) =>
    Buffer.from(body.toString('latin1').replace(from, to), 'latin1');
  switch (mutation) {
    case 'truncate':
      return { contentType, body: body.subarray(0, cut % Math.max(1, body.length)) };
    case 'no-final-boundary':
      return { contentType, body: body.subarray(0, body.length - (boundary.length + 6)) };
    case 'garbage-prefix':
      return { contentType, body: Buffer.concat([Buffer.from('garbage\r\n'), body]) };
    case 'wrong-boundary':
      return { contentType: `${contentType}x`, body };
    case 'no-boundary-param':
      return { contentType: 'multipart/form-data', body };
    case 'header-garbage':
      return { contentType, body: rewrite(/Content-Disposition/g, 'X') };
    case 'empty-part-name':
      return { contentType, body: rewrite(/name="[^"]*"/, 'name=""') };
    case 'control-char-in-header':
      return { contentType, body: rewrite(/name="/, 'name="\u0000') };
    case 'json-body':
      return { contentType, body: Buffer.from('{"clientRequestId":"mp","taskType":"greet"}') };
  }
}

/** Encodes parts as `multipart/form-data` (header lines in UTF-8, as browsers send them). */
export function encodeMultipart(boundary: string, parts: readonly MultipartPart[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.kind === 'field'
        ? `form-data; name="${part.name}"`
        : `form-data; name="${part.name}"; filename="${part.filename}"`;
    const headers = [`Content-Disposition: ${disposition}`];
    if (part.kind === 'file') headers.push(`Content-Type: ${part.contentType}`);
    chunks.push(Buffer.from(`--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n`));
    chunks.push(part.kind === 'field' ? Buffer.from(part.value) : Buffer.from(part.data));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

/** A WebSocket frame to send: binary, text garbage, JSON of anything, subscribe-like, or valid. */
export type WsFrame =
  | { kind: 'binary'; data: Uint8Array }
  | { kind: 'text'; text: string }
  | { kind: 'subscribe'; taskId: string; lastEventId: string | null; subject: string };

/** WebSocket frames; `taskIds` are tasks owned by `alice`. */
export const wsFrame = (taskIds: readonly string[]): fc.Arbitrary<WsFrame> =>
  fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('binary' as const),
        data: fc.uint8Array({ maxLength: 2_000 }),
      }),
      weight: 2,
    },
    { arbitrary: fc.record({ kind: fc.constant('text' as const), text: malformedJsonText }), weight: 2 },
    {
      arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.anything().map(toJsonText) }),
      weight: 2,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('text' as const),
        text: fc
          .record(
            {
              action: fc.oneof(fc.constant('subscribe'), fc.anything()),
              taskId: fc.oneof(fc.constantFrom(...taskIds), fc.anything()),
              lastEventId: fc.oneof(fc.constant(null), cursor, fc.anything()),
              extra: fc.anything(),
            },
            { requiredKeys: [] },
          )
          .map(toJsonText),
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('subscribe' as const),
        taskId: fc.oneof(fc.constantFrom(...taskIds), fc.uuid()),
        lastEventId: fc.oneof(fc.constant(null), cursor),
        subject: fc.constantFrom('alice', 'alice', 'mallory'),
      }),
      weight: 2,
    },
    { arbitrary: fc.record({ kind: fc.constant('text' as const), text: huge(60_000, 70_000) }), weight: 1 },
  );
