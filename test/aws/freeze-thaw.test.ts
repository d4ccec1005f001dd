import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  MINUTE,
  type Outcome,
  type ServiceName,
  type TestClient,
  atLeastAsGood,
  awsClient,
  awsServer,
  describeOutcome,
  outcome,
  printTable,
} from "./fixtures.js";

/**
 * A Lambda frozen between signing a request and sending it (aws/aws-sdk-js-v3#7605): the
 * signature is 6 minutes old when it arrives, although both clocks are right. Simulated with
 * no real wait: `Date` is faked for the whole process (the SDK's signer, skewguard's clock and
 * the testkit server all read it), and a middleware placed right after signing moves it 6
 * minutes on, once, before the request leaves: the freeze, then the thaw.
 */

const HOLD_MS = 6 * MINUTE;

/** Holds the next request signed by `client` for `HOLD_MS` of (fake) time. */
function freezeAfterSigning(client: TestClient["client"]): { armed: boolean } {
  const state = { armed: false };
  // Each client's stack is typed by its own commands; this middleware serves any of them.
  const stack = client.middlewareStack as unknown as {
    addRelativeTo(middleware: unknown, options: object): void;
  };
  stack.addRelativeTo(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      if (state.armed) {
        state.armed = false;
        vi.setSystemTime(Date.now() + HOLD_MS);
      }
      return next(args);
    },
    { name: "freezeAfterSigning", relation: "after", toMiddleware: "httpSigningMiddleware" },
  );
  return state;
}

const rows: string[][] = [];
afterAll(() => {
  printTable(
    "A request signed, then held 6 minutes before it is sent (requests the server counted)",
    ["client", "bare", "wrapped"],
    rows,
  );
});

beforeEach(() => {
  // Only `Date`: timers, the sockets and the SDK's backoff run on real time.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.parse("2026-12-04T10:15:00.250Z"));
});
afterEach(() => {
  vi.useRealTimers();
});

/** A warm client (one call made, clocks agreeing), then a call frozen after signing. */
async function frozenCall(
  service: ServiceName,
  wrapped: boolean,
): Promise<{ warm: Outcome; frozen: Outcome; after: Outcome; client: TestClient }> {
  const server = await awsServer();
  const client = awsClient(service, server, { wrapped });
  const hold = freezeAfterSigning(client.client);
  const warm = await outcome(server, () => client.call(1));
  hold.armed = true;
  const frozen = await outcome(server, () => client.call(3));
  const after = await outcome(server, () => client.call(4));
  expect(server.clockOffsetMs).toBe(0); // the server's clock was right all along
  return { warm, frozen, after, client };
}

describe("freeze/thaw: a request signed and held 6 minutes before it is sent", () => {
  for (const service of ["DynamoDB", "SQS", "STS"] as const) {
    it(`${service}: re-signed and sent again at once, never worse than bare`, async () => {
      const bare = await frozenCall(service, false);
      const wrapped = await frozenCall(service, true);
      rows.push([service, describeOutcome(bare.frozen), describeOutcome(wrapped.frozen)]);

      expect(wrapped.warm).toMatchObject({ attempts: 1, ok: true });
      // The stale signature is refused once, then a fresh one goes at once: no backoff, no
      // retry token, inside one SDK attempt.
      expect(wrapped.frozen).toMatchObject({
        attempts: 2,
        ok: true,
        sdkAttempts: 1,
        retryDelayMs: 0,
      });
      expect(wrapped.after).toMatchObject({ attempts: 1, ok: true });
      expect(atLeastAsGood(wrapped.frozen, bare.frozen)).toBe(true);

      const resigned = wrapped.client.events.find((e) => e.type === "request.resigned");
      expect(resigned).toMatchObject({ why: expect.stringMatching(/stale on arrival/) });
      // Nothing was learned from the hold: the offset stays what the warm call showed (~0).
      expect(Math.abs(resigned?.offsetMs ?? HOLD_MS)).toBeLessThan(1_500);
    });
  }

  it("a fresh client's first request held 6 minutes still succeeds at once", async () => {
    const server = await awsServer();
    const client = awsClient("DynamoDB", server);
    const hold = freezeAfterSigning(client.client);
    hold.armed = true;
    const frozen = await outcome(server, () => client.call(1));
    expect(frozen).toMatchObject({ attempts: 2, ok: true, sdkAttempts: 1 });
    expect((await outcome(server, () => client.call(2))).ok).toBe(true);
  });
});
