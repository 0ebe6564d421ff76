import { TaskBridgeError } from '@taskbridge/protocol';
import { describe, expect, it } from 'vitest';
import type { AuthContext } from '../engine/types';
import { createMemoryTicketStore } from './memory-ticket-store';
import { createStreamTickets } from './stream-tickets';

const alice: AuthContext = { subject: 'alice', scopes: ['tasks:read'], attributes: { projectId: 'p1' } };

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('stream tickets', () => {
  it('mints 256-bit base64url tickets bound to the caller and the task, with an expiry', async () => {
    const time = clock();
    const tickets = createStreamTickets({ now: time.now });
    const minted = await tickets.mint(alice, 'task-1');
    expect(minted.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(minted.taskId).toBe('task-1');
    expect(minted.expiresAt).toBe(new Date(time.now() + 30_000).toISOString());
    const other = await tickets.mint(alice, 'task-1');
    expect(other.ticket).not.toBe(minted.ticket);
    expect(await tickets.redeem(minted.ticket)).toEqual({
      auth: alice,
      taskId: 'task-1',
      expiresAt: time.now() + 30_000,
    });
  });

  it('redeems a ticket once', async () => {
    const tickets = createStreamTickets();
    const { ticket } = await tickets.mint(alice, 'task-1');
    const [first, second] = await Promise.all([tickets.redeem(ticket), tickets.redeem(ticket)]);
    expect([first, second].filter((grant) => grant !== undefined)).toHaveLength(1);
    expect(await tickets.redeem(ticket)).toBeUndefined();
  });

  it('refuses a ticket at its expiry (TTL option) and malformed or unknown tickets', async () => {
    const time = clock();
    const tickets = createStreamTickets({ now: time.now, ttlMs: 5_000 });
    const early = await tickets.mint(alice, 't');
    const late = await tickets.mint(alice, 't');
    time.advance(4_999);
    expect(await tickets.redeem(early.ticket)).toBeDefined();
    time.advance(1);
    expect(await tickets.redeem(late.ticket)).toBeUndefined();
    expect(await tickets.redeem('short')).toBeUndefined();
    expect(await tickets.redeem('A'.repeat(43))).toBeUndefined();
  });

  it('keeps the grant apart from the caller objects (a later change cannot widen it)', async () => {
    const tickets = createStreamTickets();
    const auth = { subject: 'bob', scopes: ['a'], attributes: { role: 'user' } };
    const { ticket } = await tickets.mint(auth, 't');
    auth.scopes.push('admin');
    (auth.attributes as Record<string, unknown>).role = 'admin';
    expect((await tickets.redeem(ticket))?.auth).toEqual({
      subject: 'bob',
      scopes: ['a'],
      attributes: { role: 'user' },
    });
  });
});

describe('createMemoryTicketStore', () => {
  it('is bounded: 429 when full, room again once tickets expire', async () => {
    const time = clock();
    const store = createMemoryTicketStore({ maxTickets: 2, now: time.now });
    const grant = { auth: alice, taskId: 't', expiresAt: time.now() + 100 };
    await store.mint('a', grant, 100);
    await store.mint('b', grant, 100);
    const full = await store.mint('c', grant, 100).catch((error: unknown) => error);
    expect(full).toBeInstanceOf(TaskBridgeError);
    expect((full as TaskBridgeError).code).toBe('RATE_LIMITED');
    time.advance(100);
    await store.mint('c', { ...grant, expiresAt: time.now() + 100 }, 100);
    expect(await store.redeem('a')).toBeUndefined();
    expect(await store.redeem('c')).toBeDefined();
  });
});
