import { DEFAULT_SERVER_WINDOW_MS } from "./constants.js";
import { DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS } from "./decide.js";
import { formatDuration } from "./format.js";

/**
 * What an offset means for each kind of signature, as the services enforce them. Offsets are
 * server minus local: positive means this machine's clock is behind.
 */

/** `at-risk`: still accepted, but the offset is at or beyond the tolerance (less margin, shorter lives). */
export type ImpactStatus = "ok" | "at-risk" | "fails";

/** One kind of signature, and what the offset does to it. */
export interface WindowImpact {
  /** Stable name (JSON output). */
  id: "sigv4-headers" | "azure-shared-key" | "presigned-urls" | "azure-sas" | "gcs-jwt";
  what: string;
  window: string;
  status: ImpactStatus;
  detail: string;
}

/** Google publishes no window for a grant JWT's `iat`; clocks a few minutes off are refused. */
const JWT_WINDOW_MS = 5 * 60_000;

/**
 * What a clock offset (server minus local) does to each kind of signature the services check:
 * SigV4 headers, Azure SharedKey, presigned URLs, Azure SAS and GCS token grants, in that order.
 * `toleranceMs` is where an offset stops being harmless. Pure.
 */
export function windowImpacts(
  offsetMs: number,
  toleranceMs: number = DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS,
): WindowImpact[] {
  return [
    headerWindow(
      "sigv4-headers",
      "S3, and GCS's XML API with HMAC keys (SigV4 headers)",
      "RequestTimeTooSkewed",
      offsetMs,
      toleranceMs,
    ),
    headerWindow(
      "azure-shared-key",
      "Azure Blob (SharedKey, x-ms-date)",
      "AuthenticationFailed: Request date header too old",
      offsetMs,
      toleranceMs,
    ),
    presignedUrls(offsetMs, toleranceMs),
    azureSas(offsetMs, toleranceMs),
    gcsJwt(offsetMs, toleranceMs),
  ];
}

/** Both directions, same width: a request dated outside ±15 minutes of the server's clock. */
function headerWindow(
  id: WindowImpact["id"],
  what: string,
  error: string,
  offsetMs: number,
  toleranceMs: number,
): WindowImpact {
  const window = `±${formatDuration(DEFAULT_SERVER_WINDOW_MS)}`;
  const off = Math.abs(offsetMs);
  if (off > DEFAULT_SERVER_WINDOW_MS) {
    return {
      id,
      what,
      window,
      status: "fails",
      detail: `every request signed on this clock is refused (${error})`,
    };
  }
  const margin = formatDuration(DEFAULT_SERVER_WINDOW_MS - off);
  return {
    id,
    what,
    window,
    status: off >= toleranceMs ? "at-risk" : "ok",
    detail: `accepted; ${margin} of margin left`,
  };
}

/** A signing time is taken from this clock; the expiry is judged on the server's. */
function presignedUrls(offsetMs: number, toleranceMs: number): WindowImpact {
  const base = {
    id: "presigned-urls" as const,
    what: "S3 presigned and GCS V4 signed URLs",
    window: `expiry on the server's clock; signing time up to ${formatDuration(DEFAULT_SERVER_WINDOW_MS)} ahead`,
  };
  if (offsetMs >= toleranceMs) {
    return {
      ...base,
      // The SDKs' default lifetime is 15 minutes: at this skew their URLs are born expired.
      status: offsetMs >= DEFAULT_SERVER_WINDOW_MS ? "fails" : "at-risk",
      detail: `URLs signed here live ${formatDuration(offsetMs)} less than asked; any expiry up to ${formatDuration(offsetMs)} is expired on arrival`,
    };
  }
  if (-offsetMs > DEFAULT_SERVER_WINDOW_MS) {
    return {
      ...base,
      status: "fails",
      detail: `URLs signed here are not valid for their first ${formatDuration(-offsetMs - DEFAULT_SERVER_WINDOW_MS)}`,
    };
  }
  if (-offsetMs >= toleranceMs) {
    return {
      ...base,
      status: "ok",
      detail: `URLs signed here are dated in the server's future, within the allowance: they work, for ${formatDuration(-offsetMs)} longer than asked`,
    };
  }
  return {
    ...base,
    status: "ok",
    detail: "URLs signed here work for their full lifetime",
  };
}

/** `st` has no allowance at all: a SAS that starts "now" by a clock ahead is not valid yet. */
function azureSas(offsetMs: number, toleranceMs: number): WindowImpact {
  const base = {
    id: "azure-sas" as const,
    what: "Azure SAS (st/se)",
    window: "st and se on the server's clock, no allowance",
  };
  if (offsetMs < -toleranceMs) {
    return {
      ...base,
      status: "fails",
      detail: `a SAS made here with st=now is refused for ${formatDuration(-offsetMs)} (leave st out, or start it 15 minutes early)`,
    };
  }
  if (offsetMs >= toleranceMs) {
    return {
      ...base,
      status: "at-risk",
      detail: `a SAS made here ends ${formatDuration(offsetMs)} earlier than asked`,
    };
  }
  return {
    ...base,
    status: "ok",
    detail: "a SAS made here starts and ends when asked, to within the tolerance",
  };
}

function gcsJwt(offsetMs: number, toleranceMs: number): WindowImpact {
  const base = {
    id: "gcs-jwt" as const,
    what: "GCS service-account token grant (JWT iat/exp)",
    window: "a few minutes (not published)",
  };
  const off = Math.abs(offsetMs);
  if (off >= JWT_WINDOW_MS) {
    return {
      ...base,
      status: "fails",
      detail: "grants are refused: invalid_grant (Invalid JWT ... reasonable timeframe)",
    };
  }
  return {
    ...base,
    status: off >= toleranceMs ? "at-risk" : "ok",
    detail: off >= toleranceMs ? "grants may be refused with invalid_grant" : "grants are accepted",
  };
}
