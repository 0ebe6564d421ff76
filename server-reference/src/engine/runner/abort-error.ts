/** The error a handler sees once its task is no longer running (cancelled, finished, shut down). */
export function abortError(): Error {
  const error = new Error('task is no longer running');
  error.name = 'AbortError';
  return error;
}
