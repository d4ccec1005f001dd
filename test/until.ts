/**
 * Resolves once `condition()` holds, looking again every few milliseconds: a test waits for
 * something to happen (a request reaching a server), never for a length of time. What it
 * waits for must come; the test's own timeout catches it if it does not.
 */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
