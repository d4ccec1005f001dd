/**
 * The JSON API's resumable upload protocol, as the GCS fake keeps it: a session opened by
 * `POST /upload/storage/v1/b/<bucket>/o?uploadType=resumable`, then `PUT`s to the session URI
 * whose `Content-Range` says where each chunk goes, answered `308` with `Range: bytes=0-n`
 * (what the server has persisted) until the last byte arrives.
 *
 * Persistence is modelled on GCS's: a chunk that is not the last is persisted in whole
 * multiples of 256 KiB only (the rest is dropped, and the `Range` of the 308 says so, which is
 * why clients must read it rather than assume their bytes arrived); so is what arrived of a
 * chunk whose connection dropped. A status query (`Content-Range: bytes *\/*`) reports the
 * same. A session that completed answers every later request with the object, as GCS does.
 */

/** GCS persists the bytes of an unfinished upload in multiples of this. */
export const RESUMABLE_CHUNK_GRANULARITY = 256 * 1024;

/** What a `Content-Range` on a session `PUT` asks for. */
export type ContentRange =
  /** `bytes *\/*` or `bytes *\/N`: how far did you get (and, with N, the total is N). */
  | { kind: "query"; total: number | undefined }
  /**
   * `bytes a-b/N`, `bytes a-b/*` (more to come), `bytes a-*\/*` or `bytes a-*\/N` (the body
   * is the rest of the object).
   */
  | { kind: "chunk"; start: number; end: number | undefined; total: number | undefined };

/** Why a session request was refused; rendered by the server as a JSON API error. */
export interface SessionError {
  status: number;
  message: string;
  reason: string;
}

export interface SessionObject {
  bucket: string;
  name: string;
  contentType: string;
  data: Buffer;
}

/** What a session request came to. */
export type SessionOutcome =
  | { kind: "incomplete"; persisted: number }
  | { kind: "complete"; object: SessionObject }
  | { kind: "error"; error: SessionError };

export interface SessionStart {
  bucket: string;
  name: string;
  contentType: string;
  /** `X-Upload-Content-Length`, when the client declared it. */
  total?: number | undefined;
  /** `ifGenerationMatch`, checked again when the object is written. */
  ifGenerationMatch?: string | undefined;
}

/** One open (or completed) upload session. */
export class ResumableSession {
  readonly start: SessionStart;
  #chunks: Buffer[] = [];
  #persisted = 0;
  #total: number | undefined;

  constructor(start: SessionStart) {
    this.start = start;
    this.#total = start.total;
  }

  /** Bytes the server holds for this session. */
  get persisted(): number {
    return this.#persisted;
  }

  /**
   * Applies one `PUT`. `interrupted` marks a body cut short by a dropped connection: what
   * arrived is kept as for a chunk that is not the last.
   */
  put(range: ContentRange, body: Buffer, interrupted = false): SessionOutcome {
    if (this.#total !== undefined && range.total !== undefined && range.total !== this.#total) {
      return invalid(
        `The total size ${range.total} differs from the ${this.#total} declared before.`,
      );
    }
    const total = range.total ?? this.#total;
    if (range.kind === "query") {
      this.#total = total;
      // `bytes *\/N` with all N bytes persisted finishes an upload whose last chunk said `*`.
      if (total !== undefined && this.#persisted === total) return this.#complete();
      return { kind: "incomplete", persisted: this.#persisted };
    }
    const refused = this.#refusal(range, body, total, interrupted);
    if (refused) return refused;
    this.#total = total;
    // Bytes the server already holds (a chunk sent again after a 308 said they arrived) are skipped.
    this.#append(body.subarray(this.#persisted - range.start));
    const received = range.start + body.length;
    const last = !interrupted && (range.end === undefined || received === total);
    if (last) {
      this.#total = received;
      return this.#complete();
    }
    this.#truncate(
      Math.floor(this.#persisted / RESUMABLE_CHUNK_GRANULARITY) * RESUMABLE_CHUNK_GRANULARITY,
    );
    return { kind: "incomplete", persisted: this.#persisted };
  }

  /** Why a chunk cannot be applied, if it cannot; GCS's wording where known. */
  #refusal(
    range: Extract<ContentRange, { kind: "chunk" }>,
    body: Buffer,
    total: number | undefined,
    interrupted: boolean,
  ): SessionOutcome | undefined {
    if (range.start > this.#persisted) {
      return invalid(
        `According to the Content-Range header, the upload offset is ${range.start} byte(s), which exceeds already uploaded size of ${this.#persisted} byte(s).`,
      );
    }
    if (!interrupted && range.end !== undefined && range.end - range.start + 1 !== body.length) {
      return invalid(
        `Content-Range bytes ${range.start}-${range.end} does not match the ${body.length} byte(s) sent.`,
      );
    }
    const received = range.start + body.length;
    if (total !== undefined && received > total) {
      return invalid(`The upload sent ${received} byte(s), more than its total of ${total}.`);
    }
    if (!interrupted && range.end === undefined && total !== undefined && received !== total) {
      return invalid(`The last chunk ends at ${received} byte(s), short of the total of ${total}.`);
    }
    return undefined;
  }

  #append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#persisted += bytes.length;
  }

  #truncate(length: number): void {
    if (length >= this.#persisted) return;
    this.#chunks = [Buffer.concat(this.#chunks).subarray(0, length)];
    this.#persisted = length;
  }

  #complete(): SessionOutcome {
    const { bucket, name, contentType } = this.start;
    return {
      kind: "complete",
      object: { bucket, name, contentType, data: Buffer.concat(this.#chunks) },
    };
  }
}

/**
 * Parses a session `PUT`'s `Content-Range`; a `PUT` without one sends the whole object.
 * Returns undefined for anything malformed (GCS answers 400).
 */
export function parseContentRange(header: string | undefined): ContentRange | undefined {
  if (header === undefined) return { kind: "chunk", start: 0, end: undefined, total: undefined };
  const match = /^bytes (?:(\d+)-(\d+|\*)|\*)\/(\d+|\*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, start, end, totalText] = match;
  const total = totalText === "*" ? undefined : Number(totalText);
  if (start === undefined) return { kind: "query", total };
  const from = Number(start);
  const to = end === "*" ? undefined : Number(end);
  if (to !== undefined && to < from) return undefined;
  return { kind: "chunk", start: from, end: to, total };
}

/** The `Range` header of a 308: absent while nothing is persisted. */
export function persistedRange(persisted: number): Record<string, string> {
  return persisted > 0 ? { Range: `bytes=0-${persisted - 1}` } : {};
}

function invalid(message: string): SessionOutcome {
  return { kind: "error", error: { status: 400, message, reason: "invalid" } };
}
