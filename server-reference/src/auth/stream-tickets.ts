/**
 * Single-use stream tickets (protocol/SPEC.md §12): a browser's native `WebSocket` and `EventSource`
 * cannot send an `Authorization` header, and a long-lived token in a URL ends up in access logs,
 * proxies and browser history. Instead the app mints a ticket over an authenticated POST and puts
 * that in the URL: ≥ 128 random bits, bound to the caller and one task, usable once, short-lived.
 */
import type { StreamTicketResponse } from '@taskbridge/protocol';
import type { AuthContext } from '../engine/types';
import { createMemoryTicketStore } from './memory-ticket-store';
import type { TicketGrant, TicketStore } from './ticket-store';

/** Options of stream tickets (the server option `streamTickets`). */
export interface StreamTicketOptions {
  /** How long a minted ticket may be redeemed, ms. Default 30,000. */
  ttlMs?: number;
  /** Where tickets live. Default: {@link createMemoryTicketStore} (one process). */
  store?: TicketStore;
  /** Clock, ms since epoch (the `expiresAt` reported). Default `Date.now`. */
  now?: () => number;
}

/** Mints and redeems tickets over a {@link TicketStore}. */
export interface StreamTickets {
  /** Ticket lifetime, ms. */
  readonly ttlMs: number;
  /**
   * Mints a ticket for `taskId` as `auth` (ownership is the caller's job: check it first).
   *
   * @throws the store's errors (`RATE_LIMITED` when full).
   */
  mint(auth: AuthContext, taskId: string): Promise<StreamTicketResponse>;
  /** The ticket's grant, consuming it; `undefined` for a malformed, unknown, used or expired ticket. */
  redeem(ticket: string): Promise<TicketGrant | undefined>;
}

const TICKET_BYTES = 32;
// base64url of 32 bytes is 43 characters; anything else was never minted here.
const TICKET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

function randomTicket(): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(TICKET_BYTES));
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** Creates the ticket service (256-bit tickets, base64url). */
export function createStreamTickets(options: StreamTicketOptions = {}): StreamTickets {
  const ttlMs = options.ttlMs ?? 30_000;
  const store = options.store ?? createMemoryTicketStore(options.now ? { now: options.now } : {});
  const now = options.now ?? Date.now;
  return {
    ttlMs,
    async mint(auth, taskId) {
      const ticket = randomTicket();
      const expiresAt = now() + ttlMs;
      const grant: TicketGrant = {
        auth: { subject: auth.subject, scopes: [...auth.scopes], attributes: { ...auth.attributes } },
        taskId,
        expiresAt,
      };
      await store.mint(ticket, grant, ttlMs);
      return { ticket, taskId, expiresAt: new Date(expiresAt).toISOString() };
    },
    async redeem(ticket) {
      if (!TICKET_SHAPE.test(ticket)) return undefined;
      const grant = await store.redeem(ticket);
      return grant !== undefined && grant.expiresAt > now() ? grant : undefined;
    },
  };
}
