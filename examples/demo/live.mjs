// Runs one provider's calls twice against its skewed server: with the bare SDK, then with
// skewguard; then one call whose failure the clock did not cause, to show a diagnosis.
import { redactString } from "@skewguard/diagnosis";

/** Bare, then wrapped, then the wrong-key call; every attempt counted at the server. */
export async function runProvider(provider, server) {
  const bare = await runCalls(provider, server, { wrap: false });
  const wrappedEvents = [];
  const wrapped = await runCalls(provider, server, {
    wrap: true,
    onEvent: (event) => wrappedEvents.push(event),
  });
  const wrongKeyEvents = [];
  const wrongKey = await runWrongKey(provider, server, (event) => wrongKeyEvents.push(event));
  return {
    serverOffsetMs: provider.serverOffsetMs,
    bare,
    wrapped: { ...wrapped, events: wrappedEvents },
    wrongKey: { ...wrongKey, events: wrongKeyEvents },
    events: [...wrappedEvents, ...wrongKeyEvents],
  };
}

async function runCalls(provider, server, options) {
  const { client, close } = await provider.connect(server, options);
  try {
    const calls = [];
    for (const call of provider.calls) calls.push(await runCall(provider, server, client, call));
    const attempts = calls.reduce((sum, call) => sum + call.attempts, 0);
    return { attempts, ok: calls.every((call) => call.ok), calls };
  } finally {
    close();
  }
}

async function runWrongKey(provider, server, onEvent) {
  const { connect, ...call } = provider.wrongKey;
  const { client, close } = await connect(server, { wrap: true, onEvent });
  try {
    return await runCall(provider, server, client, call);
  } finally {
    close();
  }
}

/** One call: what reached the server, and how it ended as the app sees it. */
async function runCall(provider, server, client, { call, run, expectedError }) {
  const before = provider.attempts(server);
  const started = performance.now();
  let failure;
  try {
    await run(client);
  } catch (error) {
    failure = error;
  }
  const record = {
    call,
    attempts: provider.attempts(server) - before,
    ms: Math.round(performance.now() - started),
  };
  if (!failure) return { ...record, ok: !expectedError, outcome: "ok" };
  const code = String(provider.errorCode(failure));
  return {
    ...record,
    ok: code === expectedError,
    outcome: code,
    error: shorten(provider.errorText(failure)),
  };
}

/**
 * The first line of an error message, cut to fit a terminal line, with credential shapes
 * scrubbed: Azure quotes the request's signature in its message, and a demo's output gets pasted.
 */
export function shorten(text, max = 150) {
  const line = redactString(String(text).split("\n")[0].trim());
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
