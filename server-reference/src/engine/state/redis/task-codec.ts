/**
 * How a task record lives in Redis: JSON, with attachment bytes as base64. The creator's
 * `AuthContext` is stored as JSON (its `attributes` must be JSON-serialisable, as `StoredTask` says).
 */
import type { StoredTask } from '../task-registry';

type StoredJson = Omit<StoredTask, 'attachments'> & {
  attachments: (Omit<StoredTask['attachments'][number], 'data'> & { data: string })[];
};

/** The record's JSON text. */
export function encodeTask(task: StoredTask): string {
  const json: StoredJson = {
    ...task,
    attachments: task.attachments.map((a) => ({ ...a, data: Buffer.from(a.data).toString('base64') })),
  };
  return JSON.stringify(json);
}

/** The record of {@link encodeTask}'s text. */
export function decodeTask(text: string): StoredTask {
  const json = JSON.parse(text) as StoredJson;
  return {
    ...json,
    attachments: json.attachments.map((a) => ({
      ...a,
      data: new Uint8Array(Buffer.from(a.data, 'base64')),
    })),
  };
}
