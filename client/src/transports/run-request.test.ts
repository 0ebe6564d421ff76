import { describe, expect, it, vi } from 'vitest';
import { TransportLink } from './frames';
import { RunRequest } from './run-request';

const request = () => new RunRequest('t1', () => null);

describe('RunRequest and TransportLink', () => {
  it('a link hears the stop without a signal being made; a signal read later is already aborted', () => {
    const stopped = request();
    const sink = vi.fn();
    const link = new TransportLink(stopped, sink);
    const release = vi.fn();
    link.onRelease(release);
    stopped.stop();
    stopped.stop();
    expect(release).toHaveBeenCalledTimes(1);
    expect(link.ended).toBe(true);
    link.emit({ type: 'open' });
    expect(sink).not.toHaveBeenCalled();
    expect(stopped.signal.aborted).toBe(true);
  });

  it('tells its link before the signal aborts', () => {
    const stopping = request();
    const order: string[] = [];
    new TransportLink(stopping, vi.fn()).onRelease(() => order.push('link'));
    stopping.signal.addEventListener('abort', () => order.push('signal'));
    stopping.stop();
    expect(order).toEqual(['link', 'signal']);
  });

  it('a link on a stopped request is ended at once; one that ended by itself no longer listens', () => {
    const done = request();
    done.stop();
    const release = vi.fn();
    new TransportLink(done, vi.fn()).onRelease(release);
    expect(release).toHaveBeenCalledTimes(1);
    const running = request();
    const link = new TransportLink(running, vi.fn());
    const closed = vi.fn();
    link.onRelease(closed);
    link.emit({ type: 'closed' });
    expect(closed).toHaveBeenCalledTimes(1);
    running.stop();
    expect(closed).toHaveBeenCalledTimes(1);
  });
});
