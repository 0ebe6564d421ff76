/**
 * Runs a fast-check property and, on failure, throws a short error: the seed and path to replay it,
 * the (truncated) counterexample and the first failure. fast-check's own report prints whole
 * counterexamples, which for megabyte bodies or 10,000-level JSON buries the message.
 */
import fc from 'fast-check';

const MAX_SHOWN = 600;

const shorten = (text: string): string =>
  text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN)}… (${text.length} characters)`;

/**
 * Checks `property` for `numRuns` cases.
 *
 * @throws {Error} with the seed, path, counterexample and cause when a case fails.
 */
export async function assertProperty<Ts>(property: fc.IAsyncProperty<Ts>, numRuns: number): Promise<void> {
  const details = await fc.check(property, { numRuns });
  if (!details.failed) return;
  const cause =
    details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
  throw new Error(
    [
      `property failed after ${details.numRuns} of ${numRuns} cases (seed ${details.seed}, path "${details.counterexamplePath}")`,
      `counterexample: ${shorten(fc.stringify(details.counterexample))}`,
      `failure: ${shorten(cause)}`,
    ].join('\n'),
  );
}
