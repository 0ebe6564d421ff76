import { describe, expect, it } from 'vitest';
import { redactedUrl } from './access-log';

describe('redactedUrl', () => {
  it('redacts access_token and ticket values, keeps everything else', () => {
    expect(redactedUrl('/api/v1/tasks/ws?access_token=eyJ.secret.sig&x=1')).toBe(
      '/api/v1/tasks/ws?access_token=REDACTED&x=1',
    );
    expect(redactedUrl('/api/v1/tasks/t/events/stream?lastEventId=5&ticket=abc')).toBe(
      '/api/v1/tasks/t/events/stream?lastEventId=5&ticket=REDACTED',
    );
    expect(redactedUrl('/a?access_token=1&access_token=2')).toBe('/a?access_token=REDACTED');
    expect(redactedUrl('/api/v1/tasks')).toBe('/api/v1/tasks');
    expect(redactedUrl('/api/v1/tasks?a=%20b')).toBe('/api/v1/tasks?a=%20b');
  });
});
