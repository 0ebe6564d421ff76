/**
 * A fault-injecting TCP proxy for chaos tests (toxiproxy is not available): it sits on 127.0.0.1:0 in
 * front of a loopback server and, on command or on a seeded random schedule, resets live connections,
 * stalls them without closing, or resets new connections as they are accepted. It works below HTTP, so
 * the same faults hit WebSocket upgrades, SSE responses, long polls and plain requests (protocol/SPEC.md §3–§5,
 * §10 recovery).
 */
import { createServer, type Server, type Socket, connect } from 'node:net';
import { TaskBridgeError } from '@taskbridge/protocol';

/** Options of {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Port of the server behind the proxy. */
  targetPort: number;
  /** Host of the server behind the proxy; must be a loopback address. Default `127.0.0.1`. */
  targetHost?: string;
  /**
   * Seed of the PRNG that picks kill intervals and which connections die, so a run can be replayed.
   * Default: derived from the clock (read it back from {@link FaultProxy.seed} and print it).
   */
  seed?: number;
  /** How long {@link FaultProxy.close} waits for the listener to close, ms. Default 2000. */
  closeTimeoutMs?: number;
}

/** A random kill schedule: see {@link FaultProxy.startKilling}. */
export interface KillSchedule {
  /** Shortest pause between two kill rounds, ms. */
  minMs: number;
  /** Longest pause between two kill rounds, ms (inclusive upper bound of a uniform draw). */
  maxMs: number;
  /** Share of the live connections each round resets, 0–1; each is picked independently. Default 1 (all). */
  fraction?: number;
}

/** Counters since the proxy started. */
export interface FaultProxyStats {
  /** Client connections accepted and forwarded (refused ones not included). */
  connections: number;
  /** Connections open right now. */
  live: number;
  /** Kill rounds run (scheduled or by {@link FaultProxy.kill}). */
  killRounds: number;
  /** Connections reset by kill rounds. */
  kills: number;
  /** Stall windows started. */
  stalls: number;
  /** Connections reset on accept while refusing. */
  refused: number;
}

/** A running proxy. Close it in `afterEach`/`afterAll`. */
export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use it as the client's `baseUrl`. */
  readonly url: string;
  readonly port: number;
  /** The PRNG seed in use (print it so a failing run can be replayed with `seed`). */
  readonly seed: number;
  /**
   * Resets live connections at random intervals drawn uniformly from `[minMs, maxMs]` until
   * {@link stopKilling} or {@link close}; replaces any schedule already running.
   *
   * @throws {TaskBridgeError} `INVALID_REQUEST` when `minMs > maxMs`, a bound is negative or `fraction`
   *   is outside 0–1.
   */
  startKilling(schedule: KillSchedule): void;
  /** Stops the kill schedule; connections stay as they are. */
  stopKilling(): void;
  /**
   * Resets live connections now (RST on both sides, data in flight is lost).
   *
   * @param fraction - share of live connections to reset, each picked independently. Default 1 (all).
   * @returns how many connections were reset.
   */
  kill(fraction?: number): number;
  /**
   * Stops forwarding in both directions for `ms` without closing anything, on the live connections and
   * on every connection accepted during the window (so open, first-frame and liveness deadlines fire).
   * A second call extends the window to the later end.
   */
  stall(ms: number): void;
  /** Resets every connection accepted during the next `ms` (the listener stays up). */
  refuseFor(ms: number): void;
  /** A copy of the counters. */
  stats(): FaultProxyStats;
  /**
   * Stops the schedule, resets every connection and closes the listener. Resolves once it is closed
   * or after `closeTimeoutMs`, whichever is first; never rejects.
   */
  close(): Promise<void>;
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * mulberry32: a tiny seeded PRNG, plenty for picking delays and victims reproducibly.
 *
 * @param seed - any 32-bit integer.
 * @returns a function giving floats in [0, 1).
 */
export function createSeededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One proxied connection: the client's socket and ours to the server. */
interface Pair {
  client: Socket;
  upstream: Socket;
}

function invalid(message: string): TaskBridgeError {
  return new TaskBridgeError({ code: 'INVALID_REQUEST', message, retryable: false });
}

// A reset, not a FIN: the peer sees ECONNRESET, as when a NAT or load balancer drops the flow.
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    // Not yet connected (no handle to reset): a plain destroy is all there is.
    socket.destroy();
  }
}

/**
 * Starts a fault proxy on 127.0.0.1 with an ephemeral port in front of `targetHost:targetPort`.
 *
 * @throws {TaskBridgeError} `INVALID_REQUEST` when the target is not a loopback host (tests never
 *   proxy to the outside).
 * @example
 * const proxy = await startFaultProxy({ targetPort: srv.port, seed: 42 });
 * proxy.startKilling({ minMs: 50, maxMs: 500 });
 * const client = createTaskBridgeClient({ baseUrl: proxy.url, ... });
 */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const targetHost = options.targetHost ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.has(targetHost))
    throw invalid(`fault proxy target must be loopback, got ${targetHost}`);
  const seed = (options.seed ?? Date.now()) >>> 0;
  const random = createSeededRandom(seed);
  const closeTimeoutMs = options.closeTimeoutMs ?? 2000;
  const pairs = new Set<Pair>();
  const counters: FaultProxyStats = {
    connections: 0,
    live: 0,
    killRounds: 0,
    kills: 0,
    stalls: 0,
    refused: 0,
  };
  let stallUntil = 0;
  let stallTimer: ReturnType<typeof setTimeout> | undefined;
  let refuseUntil = 0;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;

  const stalled = () => Date.now() < stallUntil;

  // Manual forwarding rather than pipe(): a stall must hold both directions paused, and pipe()
  // resumes its source on its own whenever the destination drains.
  const forward = (from: Socket, to: Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!stalled()) from.resume();
    });
    from.on('end', () => to.end());
  };

  const resumeAll = () => {
    stallTimer = undefined;
    if (stalled()) {
      stallTimer = setTimeout(resumeAll, stallUntil - Date.now());
      return;
    }
    for (const { client, upstream } of pairs) {
      if (!upstream.writableNeedDrain) client.resume();
      if (!client.writableNeedDrain) upstream.resume();
    }
  };

  const accept = (client: Socket) => {
    if (closed || Date.now() < refuseUntil) {
      if (!closed) counters.refused += 1;
      client.on('error', () => undefined);
      reset(client);
      return;
    }
    counters.connections += 1;
    const upstream = connect({ host: targetHost, port: options.targetPort });
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    counters.live = pairs.size;
    // Resets are the point of this proxy: their errors are expected, and unhandled ones would crash.
    client.on('error', () => reset(upstream));
    upstream.on('error', () => reset(client));
    const onClose = () => {
      if (!client.destroyed || !upstream.destroyed) return;
      pairs.delete(pair);
      counters.live = pairs.size;
    };
    client.on('close', () => {
      if (!upstream.destroyed) upstream.destroy();
      onClose();
    });
    upstream.on('close', () => {
      // Let the bytes already queued for the client go out before its socket closes.
      if (!client.destroyed) client.end();
      onClose();
    });
    forward(client, upstream);
    forward(upstream, client);
    if (stalled()) {
      client.pause();
      upstream.pause();
    }
  };

  const server: Server = createServer(accept);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw invalid('fault proxy has no TCP address');
  const port = address.port;

  const kill = (fraction = 1): number => {
    counters.killRounds += 1;
    let killed = 0;
    for (const pair of Array.from(pairs)) {
      if (fraction < 1 && random() >= fraction) continue;
      killed += 1;
      reset(pair.client);
      reset(pair.upstream);
    }
    counters.kills += killed;
    return killed;
  };

  const stopKilling = () => {
    if (killTimer !== undefined) clearTimeout(killTimer);
    killTimer = undefined;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seed,
    startKilling({ minMs, maxMs, fraction = 1 }) {
      if (!(minMs >= 0 && maxMs >= minMs))
        throw invalid(`kill interval [${minMs}, ${maxMs}] ms is not a range`);
      if (!(fraction >= 0 && fraction <= 1)) throw invalid(`kill fraction ${fraction} is outside 0–1`);
      stopKilling();
      const next = () => {
        killTimer = setTimeout(
          () => {
            kill(fraction);
            next();
          },
          minMs + Math.floor(random() * (maxMs - minMs + 1)),
        );
      };
      if (!closed) next();
    },
    stopKilling,
    kill,
    stall(ms) {
      counters.stalls += 1;
      stallUntil = Math.max(stallUntil, Date.now() + ms);
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
      if (stallTimer === undefined) stallTimer = setTimeout(resumeAll, ms);
    },
    refuseFor(ms) {
      refuseUntil = Math.max(refuseUntil, Date.now() + ms);
    },
    stats: () => ({ ...counters }),
    async close() {
      closed = true;
      stopKilling();
      if (stallTimer !== undefined) clearTimeout(stallTimer);
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const { client, upstream } of Array.from(pairs)) {
        reset(client);
        reset(upstream);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, closeTimeoutMs);
      });
      await Promise.race([listenerClosed, timeout]);
      clearTimeout(timer);
    },
  };
}
