import { describe, expect, it } from 'vitest';
import {
  DEFAULT_CONNECTION_CONFIG,
  DEFAULT_OPEN_TIMEOUT_MS,
  DEFAULT_WEBSOCKET_OPEN_TIMEOUT_MS,
  resolveConnectionConfig,
} from './config';

describe('resolveConnectionConfig', () => {
  it('defaults: WebSocket open deadline 2.5 s, SSE and polling 5 s, immediate reconnect on', () => {
    const config = resolveConnectionConfig();
    expect(config.openTimeoutMs).toEqual({ websocket: 2_500, sse: 5_000, polling: 5_000 });
    expect(DEFAULT_WEBSOCKET_OPEN_TIMEOUT_MS).toBe(2_500);
    expect(DEFAULT_OPEN_TIMEOUT_MS).toBe(5_000);
    expect(config.firstFrameTimeoutMs).toBe(8_000);
    expect(config.immediateReconnect).toBe(true);
    expect(config).toEqual(DEFAULT_CONNECTION_CONFIG);
  });

  it('openTimeoutMs: a number sets every transport, a record only the transports it names', () => {
    expect(resolveConnectionConfig({ openTimeoutMs: 300 }).openTimeoutMs).toEqual({
      websocket: 300,
      sse: 300,
      polling: 300,
    });
    expect(resolveConnectionConfig({ openTimeoutMs: { sse: 3_000 } }).openTimeoutMs).toEqual({
      websocket: 2_500,
      sse: 3_000,
      polling: 5_000,
    });
  });

  it('gives up after 5 minutes without a live connection by default; Infinity never', () => {
    expect(resolveConnectionConfig().giveUpAfterMs).toBe(300_000);
    expect(resolveConnectionConfig({ giveUpAfterMs: Number.POSITIVE_INFINITY }).giveUpAfterMs).toBe(
      Number.POSITIVE_INFINITY,
    );
  });

  it('immediateReconnect can be turned off', () => {
    expect(resolveConnectionConfig({ immediateReconnect: false }).immediateReconnect).toBe(false);
  });

  it('heartbeat intervals set liveness per transport; livenessTimeoutMs wins', () => {
    expect(resolveConnectionConfig({ heartbeatIntervalMs: { sse: 5_000 } }).livenessTimeoutMs).toEqual({
      websocket: 60_000,
      sse: 12_500,
      polling: 60_000,
    });
    expect(
      resolveConnectionConfig({ heartbeatIntervalMs: { sse: 5_000 }, livenessTimeoutMs: 1_000 })
        .livenessTimeoutMs.sse,
    ).toBe(1_000);
  });
});
