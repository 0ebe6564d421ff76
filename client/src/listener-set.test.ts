import { describe, expect, it, vi } from 'vitest';
import { ListenerSet } from './listener-set';

describe('ListenerSet', () => {
  it('calls each subscription, the same function twice as two', () => {
    const set = new ListenerSet();
    const listener = vi.fn();
    set.add(listener, () => {});
    set.add(listener, () => {});
    set.notify();
    expect(listener).toHaveBeenCalledTimes(2);
  });

  it('releases once per subscription and stops calling it', () => {
    const set = new ListenerSet();
    const listener = vi.fn();
    const release = vi.fn();
    const off = set.add(listener, release);
    off();
    off();
    set.notify();
    expect(release).toHaveBeenCalledTimes(1);
    expect(listener).not.toHaveBeenCalled();
  });

  it('works again after it was emptied', () => {
    const set = new ListenerSet();
    set.add(
      () => {},
      () => {},
    )();
    const listener = vi.fn();
    set.add(listener, () => {});
    set.notify();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('finishes a notification when a listener unsubscribes the last one', () => {
    const set = new ListenerSet();
    const second = vi.fn();
    let offSecond = () => {};
    const offFirst = set.add(
      () => {
        offFirst();
        offSecond();
      },
      () => {},
    );
    offSecond = set.add(second, () => {});
    set.notify();
    expect(second).not.toHaveBeenCalled();
    set.notify();
    expect(second).not.toHaveBeenCalled();
  });
});
