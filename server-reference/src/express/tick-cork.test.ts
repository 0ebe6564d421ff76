import { describe, expect, it } from 'vitest';
import { tickCorker } from './tick-cork';

function recordingStream() {
  const log: string[] = [];
  let depth = 0;
  return {
    log,
    get depth() {
      return depth;
    },
    cork() {
      depth += 1;
      log.push('cork');
    },
    uncork() {
      depth -= 1;
      log.push('uncork');
    },
  };
}

describe('tickCorker', () => {
  it('corks once for every write of a chain of microtasks and uncorks after the chain', async () => {
    const stream = recordingStream();
    const hold = tickCorker(stream);
    // A producer emitting in microtasks, as an async generator does.
    const writes = (async () => {
      for (let i = 0; i < 5; i++) {
        hold();
        stream.log.push(`write ${i}`);
        await Promise.resolve();
      }
    })();
    await writes;
    expect(stream.depth).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.log).toEqual(['cork', 'write 0', 'write 1', 'write 2', 'write 3', 'write 4', 'uncork']);
    expect(stream.depth).toBe(0);
  });

  it('corks again in the next turn of the event loop', async () => {
    const stream = recordingStream();
    const hold = tickCorker(stream);
    hold();
    await new Promise((resolve) => setImmediate(resolve));
    hold();
    hold();
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.log).toEqual(['cork', 'uncork', 'cork', 'uncork']);
  });

  it('nests with a caller-held cork: the stream stays corked until both are released', async () => {
    const stream = recordingStream();
    const hold = tickCorker(stream);
    stream.cork();
    hold();
    stream.uncork();
    expect(stream.depth).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stream.depth).toBe(0);
  });
});
