import { describe, expect, it } from 'vitest';
import { jsonLineLogger, silentLogger } from './logger';
import { readWorkerCliConfig, WORKER_CLI_USAGE, WorkerCliError } from './worker-cli-options';

describe('taskbridge-worker command line', () => {
  const env = {} as NodeJS.ProcessEnv;

  it('requires Redis (flag or REDIS_URL) and refuses unknown flags and bad numbers', () => {
    expect(() => readWorkerCliConfig([], env)).toThrow(WorkerCliError);
    expect(() => readWorkerCliConfig([], env)).toThrow(/--redis \(or REDIS_URL\) is required/);
    expect(() => readWorkerCliConfig(['--redis', 'x', '--no-such-option'], env)).toThrow(/no-such-option/);
    expect(() => readWorkerCliConfig(['--redis', 'x', '--concurrency', '0'], env)).toThrow(
      /--concurrency must be a positive integer/,
    );
    expect(() => readWorkerCliConfig(['--redis', 'x', '--lease-ms', '1.5'], env)).toThrow(/--lease-ms/);
    expect(WORKER_CLI_USAGE).toMatch(/^Usage: taskbridge-worker/);
    // The packaging test tells servers from workers by this: a worker has no --port.
    expect(WORKER_CLI_USAGE).not.toContain('--port');
  });

  it('reads every option; retry policies per task type; defaults are left to createTaskWorker', () => {
    const config = readWorkerCliConfig(
      [
        '--handlers',
        './handlers.js',
        '--queue',
        'jobs',
        '--retry-on-worker-lost',
        'index',
        '--retry-on-worker-lost',
        'thumbnail',
        '--max-attempts',
        '5',
        '--lease-ms',
        '10000',
        '--reap-interval-ms',
        '500',
        '--drain-timeout-ms',
        '60000',
        '--quiet',
      ],
      { REDIS_URL: 'redis://127.0.0.1:6379', TASKBRIDGE_WORKER_CONCURRENCY: '4' } as NodeJS.ProcessEnv,
    );
    expect(config.handlersModule).toBe('./handlers.js');
    expect(config.options).toEqual({
      redis: 'redis://127.0.0.1:6379',
      queueName: 'jobs',
      onWorkerLost: { index: 'retry', thumbnail: 'retry' },
      concurrency: 4,
      maxAttempts: 5,
      leaseMs: 10_000,
      reapIntervalMs: 500,
      drainTimeoutMs: 60_000,
      logger: silentLogger,
    });
    const plain = readWorkerCliConfig(['--redis', '/tmp/r.sock'], env);
    expect(plain).toEqual({
      handlersModule: undefined,
      options: { redis: '/tmp/r.sock', onWorkerLost: {}, logger: jsonLineLogger },
    });
  });
});
