/**
 * The bundle budget, checked by `npm test`: the full client (every export, as an app's bundler sees it:
 * esbuild, browser ESM, tree-shaken, minified, gzip -9) must stay within its budget, and the React
 * binding within 2 KiB on top. On failure the message lists the largest contributors. `npm run bench`
 * prints the same numbers beside socket.io-client, @microsoft/signalr and centrifuge, and the target
 * the budget is heading for (see `bundle.ts`).
 */
import { describe, expect, it } from 'vitest';
import {
  CLIENT_BUDGET_BYTES,
  describeContributors,
  ENTRIES,
  measureBundle,
  REACT_BUDGET_BYTES,
} from '../bench/bundle';

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

describe('bundle budget', () => {
  it(`keeps the full client within ${CLIENT_BUDGET_BYTES / 1024} KiB min+gzip`, async () => {
    const full = await measureBundle(ENTRIES.fullClient);
    expect(
      full.gzip,
      `full client is ${kib(full.gzip)} min+gzip (budget ${kib(CLIENT_BUDGET_BYTES)}); largest contributors:\n${describeContributors(full)}`,
    ).toBeLessThanOrEqual(CLIENT_BUDGET_BYTES);
  });

  it('keeps the React binding within 2 KiB min+gzip on top of the client', async () => {
    const [full, withReact] = await Promise.all([
      measureBundle(ENTRIES.fullClient),
      measureBundle(ENTRIES.clientAndReact),
    ]);
    const onTop = withReact.gzip - full.gzip;
    expect(onTop, `React binding adds ${kib(onTop)} (budget ${kib(REACT_BUDGET_BYTES)})`).toBeLessThanOrEqual(
      REACT_BUDGET_BYTES,
    );
    // A binding that bundled nothing would pass the line above for the wrong reason.
    expect(onTop).toBeGreaterThan(0);
  });
});
