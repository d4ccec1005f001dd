import type { SkewRecovery } from "@skewguard/diagnosis";

/**
 * Measures an endpoint's clock with one unauthenticated HEAD of its root: whatever the status,
 * the answer carries the server's `Date`. A failure leaves what is known as it was.
 */
export async function probeClock(
  recovery: SkewRecovery,
  url: string,
  host: string,
  timeoutMs: number,
): Promise<void> {
  const sentAt = recovery.clock.now();
  try {
    const response = await fetch(new URL(url).origin, {
      method: "HEAD",
      signal: AbortSignal.timeout(timeoutMs),
    });
    const receivedAt = recovery.clock.now();
    const headers: Record<string, string> = {};
    response.headers.forEach((value, name) => {
      headers[name] = value;
    });
    recovery.sample({
      provider: "azure",
      host,
      operation: "SasClockProbe",
      sentAt,
      receivedAt,
      status: response.status,
      headers,
    });
  } catch {
    // Unreachable or slow: the SAS is signed on what is known; the caller still gets a URL.
  }
}
