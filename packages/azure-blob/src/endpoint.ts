/**
 * The offset-store key of a request's endpoint: `host[:port]`, lower-cased. Every container and
 * blob of an account shares the account endpoint's clock.
 */
export function endpointKey(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return "";
  }
}
