/**
 * The Redis {@link SuspensionStore}: one hash per task (`r:<suspendId>` record JSON, `s:` state,
 * `a:` answer JSON, `d:` delivered) and one of clientActionId → action fingerprint; decisions,
 * expiry and the runner's take are scripts, so they are atomic across processes and durable (an
 * answer accepted on one instance is there for a runner that restarted on another).
 */
import type { ActionAnswer } from '../../types';
import type { ActionDecision, SuspensionRecord, SuspensionStore } from '../suspension-store';
import type { RedisContext } from './redis-context';
import { SCRIPTS } from './redis-scripts';

type RecordJson = Pick<SuspensionRecord, 'suspendId' | 'allowedActions' | 'expiresAt'>;
/** A suspension's hash fields: record, state, answer, delivered. */
type StoredFields = [string, string, string | null, string | null];

function recordOf([raw, state, answer, delivered]: StoredFields): SuspensionRecord {
  return {
    ...(JSON.parse(raw) as RecordJson),
    state: state as SuspensionRecord['state'],
    answer: answer === null ? null : (JSON.parse(answer) as ActionAnswer),
    delivered: delivered === '1',
  };
}

/** Creates the store. */
export function createRedisSuspensionStore(context: RedisContext): SuspensionStore {
  const { guard, scripts, keys } = context;
  return {
    async open(taskId, suspension) {
      const record: RecordJson = {
        suspendId: suspension.suspendId,
        allowedActions: [...suspension.allowedActions],
        expiresAt: suspension.expiresAt,
      };
      const reply = (await guard(() =>
        scripts.run(
          SCRIPTS.openSuspension,
          [keys.suspensions(taskId)],
          [suspension.suspendId, JSON.stringify(record)],
        ),
      )) as StoredFields | null;
      return reply ? recordOf(reply) : null;
    },
    async decide(taskId, request, now, taskTerminal): Promise<ActionDecision> {
      const reply = (await guard(() =>
        scripts.run(
          SCRIPTS.decide,
          [keys.suspensions(taskId), keys.actions(taskId), keys.meta(taskId)],
          [
            request.suspendId,
            request.clientActionId,
            request.actionType,
            request.fingerprint,
            JSON.stringify(request.answer),
            now,
            taskTerminal ? '1' : '0',
          ],
        ),
      )) as [string, string?];
      const [status, raw] = reply;
      switch (status) {
        case 'ACCEPTED':
          return { status, answer: request.answer };
        case 'NOT_ALLOWED':
          return { status, allowedActions: (JSON.parse(raw as string) as RecordJson).allowedActions };
        default:
          return { status } as ActionDecision;
      }
    },
    async expire(taskId, suspendId) {
      const reply = (await guard(() =>
        scripts.run(SCRIPTS.expireSuspension, [keys.suspensions(taskId)], [suspendId]),
      )) as StoredFields | null;
      return reply ? recordOf(reply) : null;
    },
    async takeAnswer(taskId, suspendId) {
      const answer = (await guard(() =>
        scripts.run(SCRIPTS.takeAnswer, [keys.suspensions(taskId)], [suspendId]),
      )) as string | null;
      return answer === null ? null : (JSON.parse(answer) as ActionAnswer);
    },
  };
}
