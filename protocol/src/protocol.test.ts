import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareEventIds,
  createRouteTemplates,
  expandRoute,
  isNewerEventId,
  isTerminalEvent,
  parseClientActionRequest,
  parseJson,
  parsePollEventsResponse,
  parseServerFrame,
  parseSubscribeFrame,
  parseTaskEvent,
  routeParams,
} from './index';

const fixturesDir = fileURLToPath(new URL('../fixtures/taskbridge-v1/', import.meta.url));
const fixtures = readdirSync(fixturesDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => [f, JSON.parse(readFileSync(fixturesDir + f, 'utf8')) as unknown] as const);

describe('TaskBridge fixtures', () => {
  it('has all 12 upstream fixtures', () => {
    expect(fixtures).toHaveLength(12);
  });

  it.each(fixtures)('%s parses and validates', (name, value) => {
    if (name.startsWith('task_')) {
      const result = parseTaskEvent(value);
      expect(result.ok && result.conformance).toBe('valid');
    } else if (name === 'poll_events_response.json') {
      const result = parsePollEventsResponse(value);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      for (const event of result.value.events) expect(parseTaskEvent(event).ok).toBe(true);
    } else if (name === 'websocket_subscribe_request.json') {
      expect(parseSubscribeFrame(value)).toMatchObject({ ok: true, value: { lastEventId: '4' } });
    } else {
      const frame = parseServerFrame(value);
      expect(frame.ok).toBe(true);
      expect(frame.ok && frame.value.kind).toBe(name.includes('ack') ? 'ack' : 'heartbeat');
    }
  });
});

describe('off-schema classification', () => {
  const base = { taskId: 't', eventId: '1-0', createdAt: '2026-05-04T12:00:00Z' };

  it('a terminal payload off the schema is still an event and still terminal (peer quirk)', () => {
    const result = parseTaskEvent({ ...base, type: 'TASK_COMPLETED', payload: { message: 'done' } });
    expect(result.ok && result.conformance).toBe('off-schema-payload');
    expect(result.ok && isTerminalEvent(result.value)).toBe(true);
    const cancelled = parseTaskEvent({ ...base, type: 'TASK_CANCELLED', payload: {} });
    expect(cancelled.ok && cancelled.conformance).toBe('off-schema-payload');
  });

  it('an unknown type is passed through as unknown, not terminal', () => {
    const result = parseTaskEvent({ ...base, type: 'TASK_SOMETHING_NEW', payload: { x: 1 } });
    expect(result.ok && result.conformance).toBe('unknown-type');
    expect(result.ok && isTerminalEvent(result.value)).toBe(false);
  });

  it('a broken envelope is a typed schema violation', () => {
    const result = parseTaskEvent({ type: 'TASK_STARTED', payload: {} });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('SCHEMA_VIOLATION');
    expect(!result.ok && result.error.schema).toBe('TaskEvent');
  });

  it('progress out of range is off-schema', () => {
    const result = parseTaskEvent({ ...base, type: 'TASK_PROGRESS', payload: { progress: 101 } });
    expect(result.ok && result.conformance).toBe('off-schema-payload');
  });

  it('malformed JSON is a typed error', () => {
    const result = parseJson('{nope');
    expect(!result.ok && result.error.code).toBe('MALFORMED_JSON');
  });

  it('subscribe frames with extra keys are rejected', () => {
    expect(parseSubscribeFrame({ action: 'subscribe', taskId: 't', extra: 1 }).ok).toBe(false);
    expect(parseSubscribeFrame({ action: 'subscribe', taskId: 't' })).toMatchObject({
      ok: true,
      value: { lastEventId: null },
    });
  });

  it('never throws on arbitrary values', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        expect(typeof parseTaskEvent(value).ok).toBe('boolean');
        expect(typeof parseServerFrame(value).ok).toBe('boolean');
        expect(typeof parseClientActionRequest(value).ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });
});

describe('compareEventIds', () => {
  it('orders numerically and component-wise', () => {
    expect(compareEventIds('9-0', '10-0')).toBe(-1);
    expect(compareEventIds('3', '4-0')).toBe(-1);
    expect(compareEventIds('4', '4-0')).toBe(0);
    expect(compareEventIds('1795292690194-2', '1795292690194-10')).toBe(-1);
    expect(compareEventIds('10', '9')).toBe(1);
    expect(compareEventIds('99999999999999999999-1', '99999999999999999999-0')).toBe(1);
  });

  it('reports incomparable ids', () => {
    expect(compareEventIds('hb-1', '4')).toBe('incomparable');
    expect(compareEventIds('abc', 'abd')).toBe('incomparable');
    expect(compareEventIds('1-2-3', '1')).toBe('incomparable');
    expect(isNewerEventId('x', '3')).toBeUndefined();
    expect(isNewerEventId('1', null)).toBe(true);
  });

  it('is a total order on numeric ids that agrees with the numbers', () => {
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.nat(), (a, b, c, d) => {
        const expected = a !== c ? Math.sign(a - c) : Math.sign(b - d);
        expect(compareEventIds(`${a}-${b}`, `${c}-${d}`)).toBe(expected === 0 ? 0 : expected);
      }),
    );
  });
});

describe('routes', () => {
  it('builds templates under a custom base and expands them', () => {
    const routes = createRouteTemplates('/api/v1/projects/{projectId}');
    expect(routes.events).toBe('/api/v1/projects/{projectId}/tasks/{taskId}/events');
    expect(routeParams(routes.events)).toEqual(['projectId', 'taskId']);
    expect(expandRoute(routes.events, { projectId: 'p 1', taskId: 't/2' })).toBe(
      '/api/v1/projects/p%201/tasks/t%2F2/events',
    );
    expect(() => expandRoute(routes.events, { taskId: 't' })).toThrow(RangeError);
  });
});
