// The transports: one file each, same {@link Transport} shape, platform injected.

export type { PollingTransportOptions } from './polling';
export { createPollingTransport, DEFAULT_WAIT_TIMEOUT_MS } from './polling';
export { createSseTransport } from './sse';
export type { Transport, TransportMessage, TransportRequest, TransportSink } from './transport';
export { createWebSocketTransport } from './websocket';
