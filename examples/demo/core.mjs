// Part 1 of the demo: the core on its own, on a fake clock, no network.
import { OffsetStore } from "@skewguard/diagnosis";
import { formatMs } from "@skewguard/diagnosis";
import { SkewRecovery } from "@skewguard/diagnosis/adapter";

const SERVER_AHEAD_MS = 7 * 60_000 + 12_345; // the truth the core must find
const SHOWN = new Set([1, 2, 4, 8]);

/** A fake local clock: the demo moves it, nothing reads the wall clock. */
function fakeClock(start) {
  let now = start;
  return { now: () => now, advance: (ms) => (now += ms) };
}

/** One simulated exchange: the server stamps a whole-second Date header mid-flight. */
function exchange(clock, rttMs) {
  const sentAt = clock.now();
  clock.advance(rttMs / 2);
  const serverNow = clock.now() + SERVER_AHEAD_MS;
  clock.advance(rttMs / 2);
  return {
    provider: "s3",
    host: "s3.demo.local:443",
    operation: "GetObject",
    sentAt,
    receivedAt: clock.now(),
    status: 200,
    headers: { date: new Date(Math.floor(serverNow / 1000) * 1000).toUTCString() },
  };
}

export function learnOffset(print) {
  const clock = fakeClock(Date.parse("2026-11-23T10:00:00.000Z"));
  const recovery = new SkewRecovery("s3", { clock, offsets: new OffsetStore({ clock }) });
  print(
    `A server ${formatMs(SERVER_AHEAD_MS)} ahead; each response carries a whole-second Date header.`,
  );
  for (let i = 1; i <= 8; i++) {
    const estimate = recovery.sample(exchange(clock, 30));
    const width = estimate.highMs - estimate.lowMs;
    const error = estimate.offsetMs - SERVER_AHEAD_MS;
    if (SHOWN.has(i)) {
      print(
        `  after ${i} sample${i === 1 ? " " : "s"}: offset ${formatMs(estimate.offsetMs)}  bounds ±${(width / 2).toFixed(0)} ms  error ${error.toFixed(0)} ms`,
      );
    }
    clock.advance(1_000 + 137 * i); // the next request lands at another phase of the server's second
  }
}
