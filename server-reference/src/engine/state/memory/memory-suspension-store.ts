import type { ActionDecision, SuspensionRecord, SuspensionStore } from '../suspension-store';

interface TaskSuspensions {
  byId: Map<string, SuspensionRecord>;
  /** clientActionId → the fingerprint of the action it was first used for. */
  actions: Map<string, string>;
}

/** The memory {@link SuspensionStore}; each operation runs to completion, so each is atomic. */
export function createMemorySuspensionStore(): SuspensionStore & { delete(taskId: string): void } {
  const tasks = new Map<string, TaskSuspensions>();
  const of = (taskId: string): TaskSuspensions => {
    let entry = tasks.get(taskId);
    if (!entry) {
      entry = { byId: new Map(), actions: new Map() };
      tasks.set(taskId, entry);
    }
    return entry;
  };
  const decide = (
    taskId: string,
    request: Parameters<SuspensionStore['decide']>[1],
    now: number,
    taskTerminal: boolean,
  ): ActionDecision => {
    const entry = tasks.get(taskId);
    const previous = entry?.actions.get(request.clientActionId);
    if (previous !== undefined) {
      return previous === request.fingerprint ? { status: 'DEDUPLICATED' } : { status: 'CONFLICT' };
    }
    const suspension = entry?.byId.get(request.suspendId);
    if (!entry || !suspension) return { status: 'NOT_FOUND' };
    // Expiry first: an expired suspension fails the task, and a late answer should learn why. Once
    // the task is terminal an open suspension is simply resolved (as it always was).
    const expired =
      suspension.state === 'expired' ||
      (suspension.state === 'open' &&
        !taskTerminal &&
        suspension.expiresAt !== null &&
        now >= suspension.expiresAt);
    if (expired) return { status: 'REJECTED_EXPIRED' };
    if (taskTerminal || suspension.state === 'answered') return { status: 'REJECTED_ALREADY_RESOLVED' };
    if (!suspension.allowedActions.includes(request.actionType)) {
      return { status: 'NOT_ALLOWED', allowedActions: suspension.allowedActions };
    }
    suspension.state = 'answered';
    suspension.answer = request.answer;
    entry.actions.set(request.clientActionId, request.fingerprint);
    return { status: 'ACCEPTED', answer: request.answer };
  };
  return {
    open(taskId, suspension) {
      const { byId } = of(taskId);
      const existing = byId.get(suspension.suspendId);
      if (existing) return Promise.resolve({ ...existing });
      byId.set(suspension.suspendId, { ...suspension, state: 'open', answer: null, delivered: false });
      return Promise.resolve(null);
    },
    decide: (taskId, request, now, taskTerminal) =>
      Promise.resolve(decide(taskId, request, now, taskTerminal)),
    expire(taskId, suspendId) {
      const suspension = tasks.get(taskId)?.byId.get(suspendId) ?? null;
      if (suspension?.state === 'open') suspension.state = 'expired';
      return Promise.resolve(suspension ? { ...suspension } : null);
    },
    takeAnswer(taskId, suspendId) {
      const suspension = tasks.get(taskId)?.byId.get(suspendId);
      if (suspension?.state !== 'answered') return Promise.resolve(null);
      suspension.delivered = true;
      return Promise.resolve(suspension.answer);
    },
    delete(taskId) {
      tasks.delete(taskId);
    },
  };
}
