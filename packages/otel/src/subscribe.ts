import diagnosticsChannel from "node:diagnostics_channel";
import { channelName, EVENT_TYPES } from "@skewguard/diagnosis";
import { createOtelEventHandler, type OtelBridgeOptions } from "./handler.js";

/**
 * Sends every skewguard event in the process to OpenTelemetry by listening on its
 * `node:diagnostics_channel` channels (`skewguard:<type>`), with no `onEvent` to wire into each
 * client: channels are global by name, so this also hears adapters configured elsewhere and
 * other copies of the core. Returns a function that stops listening.
 *
 * Use this or pass {@link createOtelEventHandler} as `onEvent`, not both: each would record.
 */
export function subscribeOtel(options: OtelBridgeOptions = {}): () => void {
  // The handler never throws, which matters here: Node rethrows a subscriber's exception as an
  // uncaught exception on the next tick, where no try/catch in skewguard could stop it.
  const handler = createOtelEventHandler(options);
  const listener = (message: unknown) => handler(message as Parameters<typeof handler>[0]);
  const names = EVENT_TYPES.map(channelName);
  for (const name of names) diagnosticsChannel.subscribe(name, listener);
  let subscribed = true;
  return () => {
    if (!subscribed) return;
    subscribed = false;
    for (const name of names) diagnosticsChannel.unsubscribe(name, listener);
  };
}
