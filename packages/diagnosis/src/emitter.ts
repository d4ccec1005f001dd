import type diagnosticsChannel from "node:diagnostics_channel";
import { channelName, type SkewguardEvent, type SkewguardEventType } from "./events.js";
import { redact } from "./redact.js";
import { nodeBuiltin } from "./node-builtin.js";

/** The slice of a pino-style logger skewguard uses: `logger.warn(obj, msg)`. */
export interface Logger {
  warn(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
  error?(obj: object, msg?: string): void;
}

export interface EventSinkOptions {
  onEvent?: (event: SkewguardEvent) => void;
  logger?: Logger;
}

export interface EventSink {
  emit(event: SkewguardEvent): void;
}

/** How loud each event is: what needs a person's attention warns, routine healing informs. */
const LEVELS: Readonly<Record<SkewguardEventType, "warn" | "info" | "debug">> = {
  "skew.detected": "warn",
  "skew.corrected": "info",
  "request.resigned": "info",
  "request.recovered": "info",
  "recovery.skipped": "warn",
  "signature.diagnosed": "warn",
};

type Channels = typeof diagnosticsChannel;

/** Absent in a browser, where events still reach `onEvent` and the logger. */
const channelsModule = nodeBuiltin<Channels>("node:diagnostics_channel");

const channels = new Map<SkewguardEventType, diagnosticsChannel.Channel>();

function channelFor(type: SkewguardEventType): diagnosticsChannel.Channel | undefined {
  if (channelsModule === undefined) return undefined;
  let channel = channels.get(type);
  if (channel === undefined) {
    channel = channelsModule.channel(channelName(type));
    channels.set(type, channel);
  }
  return channel;
}

/**
 * Delivers events to a callback, a logger and `node:diagnostics_channel`, redacted once.
 * Free when nobody listens; a throwing listener never reaches the request that caused the event.
 */
export function createEventSink(options: EventSinkOptions = {}): EventSink {
  const { onEvent, logger } = options;
  return {
    emit(event) {
      const channel = channelFor(event.type);
      const listening = channel?.hasSubscribers === true;
      if (!onEvent && !logger && !listening) return;
      const safe = redact(event);
      if (onEvent) guard(() => onEvent(safe));
      if (logger) guard(() => log(logger, safe));
      if (listening) guard(() => channel?.publish(safe));
    },
  };
}

function log(logger: Logger, event: SkewguardEvent): void {
  const level = LEVELS[event.type];
  const write = logger[level]?.bind(logger) ?? logger.warn.bind(logger);
  write({ skewguard: event }, `skewguard ${event.type}`);
}

function guard(fn: () => void): void {
  try {
    fn();
  } catch {
    // Observability must never break the request being observed.
  }
}
