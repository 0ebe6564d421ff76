/**
 * Where stream tickets live (protocol/SPEC.md §12). The memory store serves one process; a shared
 * store (Redis: `SET … NX PX` to mint, `GETDEL` to redeem) lets a ticket minted on one instance be
 * redeemed on another.
 */
import type { AuthContext } from '../engine/types';

/** What a ticket grants: one stream of `taskId` as `auth`. JSON-serialisable. */
export interface TicketGrant {
  /** The caller who minted it (subject, scopes, attributes). */
  auth: AuthContext;
  /** The only task the ticket may stream. */
  taskId: string;
  /** ms since epoch; the ticket is refused from this instant on. */
  expiresAt: number;
}

/**
 * Storage of single-use tickets. Both operations must be atomic: two concurrent redeems of one
 * ticket give the grant to at most one of them.
 */
export interface TicketStore {
  /**
   * Stores `grant` under `ticket` for `ttlMs`.
   *
   * @throws {TaskBridgeError} `RATE_LIMITED` (429) when the store is full; any store failure as is.
   */
  mint(ticket: string, grant: TicketGrant, ttlMs: number): Promise<void>;
  /** Removes the ticket and returns its grant; `undefined` for an unknown, used or expired ticket. */
  redeem(ticket: string): Promise<TicketGrant | undefined>;
}
