import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A bucket's CORS configuration, as far as a page on another origin notices it: preflights are
 * answered, and every answer (errors included) carries `Access-Control-Allow-Origin` and the
 * headers the page may read. S3 answers a non-matching origin's preflight with 403 and leaves
 * the headers off its other answers, so the browser hides them from the page.
 */
export interface S3CorsOptions {
  /**
   * Origins allowed, or `"*"` for any.
   * @default ["*"]
   */
  allowedOrigins?: readonly string[];
  /**
   * Response headers a page may read (`Access-Control-Expose-Headers`). `Date` is not one of
   * the headers browsers let a page read by default: leave it out to hide the server's clock
   * from the page, as a CORS rule that does not list it does.
   * @default ["Date", "ETag", "x-amz-request-id", "x-amz-id-2", "x-amz-version-id"]
   */
  exposeHeaders?: readonly string[];
  /**
   * How long a browser may cache a preflight (`Access-Control-Max-Age`).
   * @default 600
   */
  maxAgeSeconds?: number;
}

export const DEFAULT_CORS_EXPOSE_HEADERS: readonly string[] = [
  "Date",
  "ETag",
  "x-amz-request-id",
  "x-amz-id-2",
  "x-amz-version-id",
];

const ALLOWED_METHODS = "GET, PUT, POST, DELETE, HEAD";

export interface S3Cors {
  /** Answers a preflight; true when the request was one (and is answered). */
  preflight(req: IncomingMessage, res: ServerResponse): boolean;
  /** Sets the headers of an actual answer to an allowed origin. */
  decorate(req: IncomingMessage, res: ServerResponse): void;
}

export function createS3Cors(options: S3CorsOptions): S3Cors {
  const origins = options.allowedOrigins ?? ["*"];
  const expose = (options.exposeHeaders ?? DEFAULT_CORS_EXPOSE_HEADERS).join(", ");
  const maxAge = String(options.maxAgeSeconds ?? 600);
  const allowOrigin = (origin: string | undefined): string | undefined => {
    if (origin === undefined) return undefined;
    if (origins.includes("*")) return "*";
    return origins.includes(origin) ? origin : undefined;
  };
  return {
    preflight(req, res) {
      const method = req.headers["access-control-request-method"];
      if (req.method !== "OPTIONS" || method === undefined) return false;
      const allowed = allowOrigin(req.headers.origin);
      res.sendDate = false;
      res.setHeader(
        "Vary",
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
      );
      if (allowed === undefined || !ALLOWED_METHODS.includes(String(method).toUpperCase())) {
        res.writeHead(403, { "Content-Type": "application/xml" });
        res.end(
          "<Error><Code>AccessForbidden</Code><Message>CORSResponse: This CORS request is not allowed.</Message></Error>",
        );
        return true;
      }
      res.setHeader("Access-Control-Allow-Origin", allowed);
      res.setHeader("Access-Control-Allow-Methods", ALLOWED_METHODS);
      // Every header the page asks for is allowed, as with `AllowedHeader: *`.
      const asked = req.headers["access-control-request-headers"];
      if (asked) res.setHeader("Access-Control-Allow-Headers", asked);
      res.setHeader("Access-Control-Max-Age", maxAge);
      res.writeHead(200);
      res.end();
      return true;
    },
    decorate(req, res) {
      const allowed = allowOrigin(req.headers.origin);
      if (allowed === undefined) return;
      res.setHeader("Access-Control-Allow-Origin", allowed);
      res.setHeader("Vary", "Origin");
      if (expose !== "") res.setHeader("Access-Control-Expose-Headers", expose);
    },
  };
}
