export interface BodyRelay {
  /** `http://127.0.0.1:<port>`: give it to a client instead of the server's origin. */
  readonly url: string;
  /** When the first byte of a request body went by at or after `since` (`performance.now()`). */
  firstBodyByteAfter(since: number): number | undefined;
  /** How many request bodies have begun to reach the server. */
  readonly bodiesStarted: number;
  close(): Promise<void>;
}

/** A TCP relay in front of `target` (`http://host:port`) that watches request bodies go by. */
export function firstByteRelay(target: string): Promise<BodyRelay>;
