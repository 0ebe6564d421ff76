/**
 * Checks on what a task handler hands the engine — results, yields, emits and `suspend()` options —
 * before anything reaches a store. A handler is code we do not control: a function, a `BigInt`, a
 * cycle, a throwing getter or a `NaN` must become one clear `TASK_FAILED` (`INVALID_HANDLER_OUTPUT`),
 * never an event no client can parse, a stuck task or an unhandled rejection.
 *
 * @see protocol/SPEC.md §15 (limits and handler faults), §3 (event payloads)
 */
import {
  type JsonObject,
  type MessageLevel,
  type SuspensionKind,
  TaskBridgeError,
} from '@taskbridge/protocol';
import type { SuspendOptions, TaskYield } from './types';
import { jsonDepth, MAX_JSON_DEPTH } from './validation';

/** Latest instant a JavaScript `Date` can represent, ms since epoch (ECMA-262 §21.4.1.1). */
export const MAX_DATE_MS = 8.64e15;

const LEVELS: ReadonlySet<MessageLevel> = new Set<MessageLevel>(['info', 'warning', 'debug']);
const KINDS: ReadonlySet<SuspensionKind> = new Set<SuspensionKind>([
  'USER_ACTION_REQUIRED',
  'EXTERNAL_CONFIRMATION_PENDING',
  'SYSTEM_PAUSED',
]);

/** The error a handler gets for output that cannot become an event; uncaught, it fails the task. */
export function invalidOutput(message: string): TaskBridgeError {
  return new TaskBridgeError({ code: 'INVALID_HANDLER_OUTPUT', message, retryable: false });
}

type NodeBuffer = { byteLength(text: string, encoding: 'utf8'): number };
const nodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;

/** Bytes of `text` in UTF-8 (a lone surrogate counts 3, as `TextEncoder` writes U+FFFD). */
export function utf8Length(text: string): number {
  if (nodeBuffer) return nodeBuffer.byteLength(text, 'utf8');
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c < 0xdc00 && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Bytes of a payload's JSON text, UTF-8 (what the engine's byte limits count). A flat object of
 * strings, numbers, booleans and nulls — every `TASK_MESSAGE` and `TASK_PROGRESS` payload — is
 * measured without serialising it (strings by their UTF-8 length; JSON escapes such as `\"` are not
 * counted, so a string of quotes may pass a limit by up to 5 bytes per escaped character); anything
 * else by `JSON.stringify`.
 */
export function payloadBytes(payload: unknown): number {
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
    // `{` `}`, per field `"key":value`, and a comma between fields.
    let bytes = 1;
    let flat = true;
    for (const key in payload) {
      const value: unknown = (payload as Record<string, unknown>)[key];
      const type = typeof value;
      if (type === 'string') bytes += utf8Length(value as string) + 2;
      else if (type === 'number' || type === 'boolean' || value === null) bytes += String(value).length;
      else if (value !== undefined) {
        flat = false;
        break;
      }
      bytes += utf8Length(key) + 4;
    }
    // One comma fewer than fields, plus the closing brace: the `+ 4` above counted a comma per field.
    if (flat && bytes === 1) return 2;
    if (flat) return bytes;
  }
  const text = JSON.stringify(payload);
  return text === undefined ? 0 : utf8Length(text);
}

const messageOf = (error: unknown): string => {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unreadable error';
  }
};

/**
 * The JSON form of a value from a handler (what every client will parse): `toJSON` applied,
 * `undefined` object fields dropped, as `JSON.stringify` does — but functions, symbols, `BigInt`s,
 * non-finite numbers, cycles, throwing getters and nesting deeper than `MAX_JSON_DEPTH` are refused
 * instead of silently changed or thrown later on the wire.
 *
 * @param field - what the value is, for the error message (e.g. `'result'`).
 * @returns the plain JSON copy and its JSON text.
 * @throws {TaskBridgeError} `INVALID_HANDLER_OUTPUT`.
 */
export function toJsonValue(value: unknown, field: string): { value: unknown; text: string } {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (key: string, item: unknown) => {
      const type = typeof item;
      if (type === 'function' || type === 'symbol' || type === 'bigint') {
        throw invalidOutput(
          `${field} is not JSON: ${key ? `field ${JSON.stringify(key)} is` : 'it is'} a ${type}`,
        );
      }
      if (type === 'number' && !Number.isFinite(item)) {
        throw invalidOutput(
          `${field} is not JSON: ${key ? `field ${JSON.stringify(key)} is` : 'it is'} ${String(item)}`,
        );
      }
      return item;
    });
  } catch (error) {
    if (error instanceof TaskBridgeError) throw error;
    // A cycle (TypeError), a throwing getter or toJSON, a stack overflow from deep nesting.
    throw invalidOutput(`${field} is not JSON: ${messageOf(error).slice(0, 200)}`);
  }
  if (text === undefined) throw invalidOutput(`${field} is not JSON`);
  const parsed: unknown = JSON.parse(text);
  if (jsonDepth(parsed, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw invalidOutput(`${field} is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  return { value: parsed, text };
}

function jsonObject(value: unknown, field: string): JsonObject {
  const { value: json } = toJsonValue(value, field);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw invalidOutput(`${field} must be a JSON object`);
  }
  return json as JsonObject;
}

const optionalString = (value: unknown, field: string): string | undefined => {
  if (value === undefined || typeof value === 'string') return value;
  throw invalidOutput(`${field} must be a string`);
};

/**
 * Checks a yield or emit (protocol/SPEC.md §3 `TASK_PROGRESS`, `TASK_MESSAGE`) and returns a clean
 * copy: `progress` a finite number, `message`/`stage` strings, `level` one of `info`, `warning`,
 * `debug`.
 *
 * @throws {TaskBridgeError} `INVALID_HANDLER_OUTPUT`.
 */
export function checkYield(item: unknown): TaskYield {
  if (item === null || typeof item !== 'object') throw invalidOutput('a yield must be an object');
  const { type, progress, stage, message, level } = item as Record<string, unknown>;
  if (type === 'progress') {
    if (typeof progress !== 'number' || !Number.isFinite(progress)) {
      throw invalidOutput('progress must be a finite number (a percentage)');
    }
    const s = optionalString(stage, 'stage');
    const m = optionalString(message, 'message');
    return {
      type,
      progress,
      ...(s === undefined ? {} : { stage: s }),
      ...(m === undefined ? {} : { message: m }),
    };
  }
  if (type === 'message') {
    if (typeof message !== 'string') throw invalidOutput('message must be a string');
    if (level !== undefined && !LEVELS.has(level as MessageLevel)) {
      throw invalidOutput('level must be one of info, warning, debug');
    }
    return level === undefined ? { type, message } : { type, message, level: level as MessageLevel };
  }
  throw invalidOutput(`a yield's type must be 'progress' or 'message'`);
}

const checkName = (value: unknown, field: string): string => {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw invalidOutput(`${field} must be a string of 1 to 256 characters`);
  }
  return value;
};

/**
 * Checks `suspend()` options (protocol/SPEC.md §3 `TASK_SUSPENDED`, §7) and returns a clean copy:
 * `reasonCode` and each of 1–64 `allowedActions` a string of 1–256 characters, `kind` a
 * `SuspensionKind`, `expiresInMs` a finite number ≥ 0 whose `expiresAt` is a representable date
 * (values past 2^31−1 ms are fine: the expiry timer is chained), `schemaVersion` an integer ≥ 1,
 * `interaction`/`uiHints` JSON objects.
 *
 * @param nowMs - the current time, ms since epoch (to check `expiresAt`).
 * @throws {TaskBridgeError} `INVALID_HANDLER_OUTPUT`.
 */
export function checkSuspendOptions(options: unknown, nowMs: number): SuspendOptions {
  if (options === null || typeof options !== 'object')
    throw invalidOutput('suspend() options must be an object');
  const o = options as Record<string, unknown>;
  const reasonCode = checkName(o.reasonCode, 'reasonCode');
  const actions = o.allowedActions;
  if (!Array.isArray(actions) || actions.length === 0 || actions.length > 64) {
    throw invalidOutput('allowedActions must be an array of 1 to 64 action types');
  }
  const allowedActions = actions.map((a, i) => checkName(a, `allowedActions[${i}]`));
  const clean: SuspendOptions = { reasonCode, allowedActions };
  if (o.kind !== undefined) {
    if (!KINDS.has(o.kind as SuspensionKind))
      throw invalidOutput(`kind must be one of ${[...KINDS].join(', ')}`);
    clean.kind = o.kind as SuspensionKind;
  }
  if (o.expiresInMs !== undefined) {
    const ms = o.expiresInMs;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || nowMs + ms > MAX_DATE_MS) {
      throw invalidOutput(
        `expiresInMs must be a finite number of ms ≥ 0 whose expiry is a representable date, got ${String(ms)}`,
      );
    }
    clean.expiresInMs = ms;
  }
  if (o.schemaVersion !== undefined) {
    if (!Number.isSafeInteger(o.schemaVersion) || (o.schemaVersion as number) < 1) {
      throw invalidOutput('schemaVersion must be an integer ≥ 1');
    }
    clean.schemaVersion = o.schemaVersion as number;
  }
  if (o.interaction !== undefined) clean.interaction = jsonObject(o.interaction, 'interaction');
  if (o.uiHints !== undefined) clean.uiHints = jsonObject(o.uiHints, 'uiHints');
  return clean;
}
