/**
 * The Redis stream-ticket store (protocol/SPEC.md §12): `SET <ticket> <grant> NX PX <ttl>` to mint,
 * `GETDEL` to redeem — atomic, so a ticket minted on one instance is redeemed once, on any instance.
 */
import type { TicketGrant, TicketStore } from '../../../auth/ticket-store';
import type { RedisContext } from './redis-context';

/**
 * Creates the store.
 *
 * @param now - clock, ms since epoch (a grant past its `expiresAt` is refused even if Redis still had it).
 */
export function createRedisTicketStore(context: RedisContext, now: () => number = Date.now): TicketStore {
  const { commands, guard, keys } = context;
  return {
    async mint(ticket, grant, ttlMs) {
      await guard(() =>
        commands.set(keys.ticket(ticket), JSON.stringify(grant), 'PX', Math.max(1, ttlMs), 'NX'),
      );
    },
    async redeem(ticket) {
      const value = await guard(() => commands.getdel(keys.ticket(ticket)));
      if (value === null) return undefined;
      const grant = JSON.parse(value) as TicketGrant;
      return grant.expiresAt > now() ? grant : undefined;
    },
  };
}
