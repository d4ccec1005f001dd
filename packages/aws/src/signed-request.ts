import type { SignedFacts } from "@skewguard/diagnosis";
import { parseAmzDate } from "@skewguard/diagnosis/engine";
import { HttpRequest } from "@smithy/protocol-http";
import type {
  FinalizeHandler,
  FinalizeHandlerArguments,
  FinalizeRequestMiddleware,
  HandlerExecutionContext,
} from "@smithy/types";

/**
 * What the SDK signed, read from the signed request by a middleware placed right after
 * `httpSigningMiddleware` (the request the recovery middleware sees is not signed yet). The
 * diagnosis compares it with what the server says it expected (scope, algorithm, time). The
 * signature itself is never kept.
 */
const lastSigned = new WeakMap<HandlerExecutionContext, Record<string, string>>();

export const signedRequestCapture =
  <Input extends object, Output extends object>(): FinalizeRequestMiddleware<Input, Output> =>
  (next: FinalizeHandler<Input, Output>, context: HandlerExecutionContext) =>
  async (args: FinalizeHandlerArguments<Input>) => {
    if (HttpRequest.isInstance(args.request)) {
      // Kept as is and read only if the attempt fails: successes need none of it.
      lastSigned.set(context, args.request.headers);
    }
    return next(args);
  };

/** The facts of the attempt that just ran under this context, once. */
export function takeSignedFacts(context: HandlerExecutionContext): SignedFacts | undefined {
  const headers = lastSigned.get(context);
  lastSigned.delete(context);
  return headers ? readSignedFacts(headers) : undefined;
}

/** Forgets the attempt that just ran under this context. */
export function dropSignedFacts(context: HandlerExecutionContext): void {
  lastSigned.delete(context);
}

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/** `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/s3/aws4_request, ...` */
export function readSignedFacts(headers: Record<string, string>): SignedFacts {
  const facts: SignedFacts = {};
  const authorization = header(headers, "authorization");
  const algorithm = authorization?.trim().split(/\s+/, 1)[0];
  if (algorithm) facts.algorithm = algorithm;
  const credential = authorization ? CREDENTIAL.exec(authorization) : null;
  if (credential) {
    const [, accessKeyId, date, region, service] = credential as unknown as string[];
    facts.accessKeyId = accessKeyId as string;
    facts.credentialScope = `${date}/${region}/${service}/aws4_request`;
    facts.region = region as string;
    facts.service = service as string;
  }
  const signedAtMs = parseAmzDate(header(headers, "x-amz-date"));
  if (signedAtMs !== undefined) facts.signedAtMs = signedAtMs;
  return facts;
}

function header(headers: Record<string, string>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
