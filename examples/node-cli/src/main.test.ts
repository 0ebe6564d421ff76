/**
 * The CLI as a user runs it (`npm run example:cli -- …`): a clear line and an exit code for a missing
 * file or an unreachable server, never a stack trace; and a real summary, streamed to stdout.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { extractiveSummary } from '@taskbridge/server-reference';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const FIXTURE = 'test/e2e/fixtures/declaration.txt';

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.INIT_CWD;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--conditions=@taskbridge/source', '--import', 'tsx', MAIN, ...args],
      { cwd: ROOT, env, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('npm run example:cli', () => {
  it('a missing file: one line, exit 2', async () => {
    const result = await cli('summarize', 'no-such-file.txt');
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'cannot read no-such-file.txt: no such file\n' });
  });

  it('an unreachable server: one line naming it, exit 1', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await cli('summarize', FIXTURE, '--url', url);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^cannot reach the server at ${url} \\(.+\\); is it running\\?`)),
    ]);
  });

  it('streams the summary of a file to stdout (piped)', async () => {
    const result = await cli('summarize', FIXTURE);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trimEnd()).toBe(
      extractiveSummary(readFileSync(`${ROOT}/${FIXTURE}`, 'utf8')).summary,
    );
    expect(result.stderr).toMatch(/^done: \d+ words, \d+ sentences summarized$/m);
  }, 60_000);
});
