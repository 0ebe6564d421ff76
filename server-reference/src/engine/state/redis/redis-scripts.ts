/**
 * The Lua scripts that make the Redis backend's decisions atomic across processes, and how they are
 * called: `EVALSHA`, loaded on every (re)connect before anything else is sent on the connection,
 * falling back to `EVAL` if Redis forgot them anyway (e.g. `SCRIPT FLUSH`).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The append (modelled on centrifuge's `broker_history_add_stream.lua`), for a batch of one task's
 * events in call order: each is refused after a terminal event (the first terminal wins, hazard H6)
 * or when its epoch is stale (fencing), else `XADD`ed (the stream id is the eventId) and published as
 * `<prevId> <id> <data>` for live tails; then the stream is trimmed to the cap, recording
 * `trimmedThrough` (protocol/SPEC.md §11), and a terminal event starts the task's TTL.
 *
 * KEYS: events, meta, task, suspensions, actions. ARGV: cap (`''` = unbounded), ttl ms (`''` =
 * forever), channel, then per event: data, terminal (`1`/`0`), epoch (`''` = unfenced).
 * Returns per event: `ok <id>`, `terminal <terminalId>` or `fenced <epoch>`.
 */
export const APPEND_SCRIPT = `
local head = redis.call('HMGET', KEYS[2], 'terminal', 'epoch', 'last')
local terminal = head[1]
local epoch = tonumber(head[2] or '0')
local last = head[3] or '-'
local raised = false
local ended = false
local added = 0
local out = {}
for i = 4, #ARGV, 3 do
  local data, isTerminal, writer = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if terminal then
    out[#out + 1] = 'terminal'
    out[#out + 1] = terminal
  elseif writer ~= '' and tonumber(writer) < epoch then
    out[#out + 1] = 'fenced'
    out[#out + 1] = string.format('%d', epoch)
  else
    if writer ~= '' and tonumber(writer) > epoch then
      epoch = tonumber(writer)
      raised = true
    end
    local id = redis.call('XADD', KEYS[1], '*', 'd', data)
    redis.call('PUBLISH', ARGV[3], last .. ' ' .. id .. ' ' .. data)
    last = id
    added = added + 1
    if isTerminal == '1' then
      terminal = id
      ended = true
      redis.call('HSET', KEYS[2], 'terminal', id, 'terminalData', data)
    end
    out[#out + 1] = 'ok'
    out[#out + 1] = id
  end
end
if raised then redis.call('HSET', KEYS[2], 'epoch', string.format('%d', epoch)) end
if added > 0 then
  redis.call('HSET', KEYS[2], 'last', last)
  if ARGV[1] ~= '' then
    local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[1])
    if excess > 0 then
      local gone = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)
      redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[1])
      redis.call('HSET', KEYS[2], 'trimmedThrough', gone[#gone][1])
    end
  end
  if ended and ARGV[2] ~= '' then
    for k = 1, 5 do redis.call('PEXPIRE', KEYS[k], ARGV[2]) end
  end
end
return out
`;

/** Updates a task record's fields only if it exists. KEYS: task. ARGV: field, value, … */
export const UPDATE_TASK_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`;

/** Compare-and-delete of an idempotency key. KEYS: key. ARGV: taskId. */
export const RELEASE_IDEMPOTENCY_SCRIPT = `
local value = redis.call('GET', KEYS[1])
if value and string.sub(value, 1, #ARGV[1] + 1) == ARGV[1] .. '\\n' then redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Decides an action (protocol/SPEC.md §7) in the order `SuspensionStore.decide` documents. The answer
 * is stored as the JSON text it came as (never re-encoded by Lua, which would turn `[]` into `{}`).
 *
 * KEYS: suspensions, actions, meta. ARGV: suspendId, clientActionId, actionType, fingerprint,
 * answer JSON, now ms, task terminal (`1`/`0`).
 */
export const DECIDE_SCRIPT = `
local previous = redis.call('HGET', KEYS[2], ARGV[2])
if previous then
  if previous == ARGV[4] then return {'DEDUPLICATED'} end
  return {'CONFLICT'}
end
local raw = redis.call('HGET', KEYS[1], 'r:' .. ARGV[1])
if not raw then return {'NOT_FOUND'} end
local record = cjson.decode(raw)
local state = redis.call('HGET', KEYS[1], 's:' .. ARGV[1])
local terminal = ARGV[7] == '1'
local expiresAt = record.expiresAt
if state == 'expired' or (state == 'open' and not terminal and type(expiresAt) == 'number'
    and tonumber(ARGV[6]) >= expiresAt) then
  return {'REJECTED_EXPIRED'}
end
if terminal or state == 'answered' then return {'REJECTED_ALREADY_RESOLVED'} end
local allowed = false
for _, action in ipairs(record.allowedActions) do
  if action == ARGV[3] then allowed = true end
end
if not allowed then return {'NOT_ALLOWED', raw} end
redis.call('HSET', KEYS[1], 's:' .. ARGV[1], 'answered', 'a:' .. ARGV[1], ARGV[5])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
local ttl = redis.call('PTTL', KEYS[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return {'ACCEPTED'}
`;

/** Expires an open suspension; returns its record, state and delivered flag. KEYS: suspensions. ARGV: suspendId. */
export const EXPIRE_SUSPENSION_SCRIPT = `
local raw = redis.call('HGET', KEYS[1], 'r:' .. ARGV[1])
if not raw then return false end
if redis.call('HGET', KEYS[1], 's:' .. ARGV[1]) == 'open' then
  redis.call('HSET', KEYS[1], 's:' .. ARGV[1], 'expired')
end
return redis.call('HMGET', KEYS[1], 'r:' .. ARGV[1], 's:' .. ARGV[1], 'a:' .. ARGV[1], 'd:' .. ARGV[1])
`;

/**
 * Registers a suspension once; returns `false` when it is new, else its record, state, answer and
 * delivered flag. KEYS: suspensions. ARGV: suspendId, record JSON.
 */
export const OPEN_SUSPENSION_SCRIPT = `
if redis.call('HSETNX', KEYS[1], 'r:' .. ARGV[1], ARGV[2]) == 1 then
  redis.call('HSET', KEYS[1], 's:' .. ARGV[1], 'open')
  return false
end
return redis.call('HMGET', KEYS[1], 'r:' .. ARGV[1], 's:' .. ARGV[1], 'a:' .. ARGV[1], 'd:' .. ARGV[1])
`;

/** The answer of an answered suspension, marking it delivered. KEYS: suspensions. ARGV: suspendId. */
export const TAKE_ANSWER_SCRIPT = `
if redis.call('HGET', KEYS[1], 's:' .. ARGV[1]) ~= 'answered' then return false end
redis.call('HSET', KEYS[1], 'd:' .. ARGV[1], '1')
return redis.call('HGET', KEYS[1], 'a:' .. ARGV[1])
`;

/** A script and its SHA-1. */
export interface LuaScript {
  readonly source: string;
  readonly sha: string;
}

const script = (source: string): LuaScript => ({
  source,
  sha: createHash('sha1').update(source).digest('hex'),
});

/** Every script of the backend. */
export const SCRIPTS = {
  append: script(APPEND_SCRIPT),
  updateTask: script(UPDATE_TASK_SCRIPT),
  releaseIdempotency: script(RELEASE_IDEMPOTENCY_SCRIPT),
  decide: script(DECIDE_SCRIPT),
  openSuspension: script(OPEN_SUSPENSION_SCRIPT),
  expireSuspension: script(EXPIRE_SUSPENSION_SCRIPT),
  takeAnswer: script(TAKE_ANSWER_SCRIPT),
} as const;

/** Runs scripts on one connection. */
export interface ScriptRunner {
  run(lua: LuaScript, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown>;
}

/**
 * Loads every script whenever `client` becomes ready — the first commands on the new connection, so
 * an `EVALSHA` sent after them finds its script and pipelined appends keep their order — and runs
 * them with `EVALSHA`.
 */
export function scriptRunner(client: Redis): ScriptRunner {
  const load = () => {
    for (const lua of Object.values(SCRIPTS)) {
      client.script('LOAD', lua.source).catch(() => undefined);
    }
  };
  client.on('ready', load);
  if (client.status === 'ready') load();
  return {
    async run(lua, keys, args) {
      try {
        return await client.evalsha(lua.sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return client.eval(lua.source, keys.length, ...keys, ...args);
      }
    },
  };
}
