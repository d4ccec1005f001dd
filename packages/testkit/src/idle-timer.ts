/**
 * The idle timer every testkit server shares, so `idleTimeoutMs` means one thing everywhere:
 * the server stops once no request has been in flight for that long, and `0` means never.
 */

/** Longest delay `setTimeout` honours; Node fires anything longer after 1 ms, with a warning. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface IdleTimer {
  /** Marks a request in flight; call the returned function (once is enough) when it ends. */
  enter(): () => void;
  /** Disarms the timer for good (the server is closing). */
  stop(): void;
}

export interface IdleTimerOptions {
  /** Let the timer hold the Node.js process open. @default false */
  keepProcessAlive?: boolean;
}

/**
 * Calls `onIdle` once no request has been in flight for `idleTimeoutMs`. `0` never does, and
 * neither does any value that is not a positive number (negative, `NaN`, `Infinity`): a value
 * meaning "never" must not turn into "at once" through `setTimeout`'s handling of odd delays.
 * Delays beyond what `setTimeout` can hold (24.8 days) are cut to that.
 */
export function startIdleTimer(
  idleTimeoutMs: number,
  onIdle: () => void,
  options: IdleTimerOptions = {},
): IdleTimer {
  const never = !(idleTimeoutMs > 0) || idleTimeoutMs === Number.POSITIVE_INFINITY;
  const delay = Math.min(idleTimeoutMs, MAX_TIMER_DELAY_MS);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = 0;
  let stopped = false;

  const disarm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const arm = () => {
    disarm();
    if (never || stopped || inFlight > 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (!stopped && inFlight === 0) onIdle();
    }, delay);
    if (!options.keepProcessAlive) timer.unref?.();
  };

  arm();
  return {
    enter() {
      inFlight++;
      disarm();
      let done = false;
      return () => {
        if (done) return;
        done = true;
        inFlight--;
        arm();
      };
    },
    stop() {
      stopped = true;
      disarm();
    },
  };
}
