/**
 * The in-process {@link TicketStore}: a bounded map, expired entries dropped as new ones come in.
 */
import { TaskBridgeError } from '@taskbridge/protocol';
import type { TicketGrant, TicketStore } from './ticket-store';

/** Options of {@link createMemoryTicketStore}. */
export interface MemoryTicketStoreOptions {
  /** Outstanding (minted, unused, unexpired) tickets kept at most; more → 429. Default 100,000. */
  maxTickets?: number;
  /** Clock, ms since epoch. Default `Date.now`. */
  now?: () => number;
}

/**
 * Creates a memory ticket store. No timers: minting first drops the expired tickets at the front of
 * the map (insertion order is mint order, so with one TTL they are all there), and `redeem` checks
 * the expiry itself.
 */
export function createMemoryTicketStore(options: MemoryTicketStoreOptions = {}): TicketStore {
  const maxTickets = options.maxTickets ?? 100_000;
  const now = options.now ?? Date.now;
  const grants = new Map<string, TicketGrant>();

  const dropExpired = () => {
    const at = now();
    for (const [ticket, grant] of grants) {
      if (grant.expiresAt > at) break;
      grants.delete(ticket);
    }
  };

  return {
    async mint(ticket, grant) {
      dropExpired();
      if (grants.size >= maxTickets) {
        throw new TaskBridgeError({
          code: 'RATE_LIMITED',
          message: 'too many outstanding stream tickets; retry shortly',
          retryAfterMs: 1000,
          details: { reason: 'stream_tickets_full' },
        });
      }
      grants.set(ticket, grant);
    },
    async redeem(ticket) {
      const grant = grants.get(ticket);
      if (grant === undefined) return undefined;
      grants.delete(ticket);
      return grant.expiresAt > now() ? grant : undefined;
    },
  };
}
