import { KNOWN_ERROR_CODES, codeOfMessage } from "./constants.js";

/**
 * The one-line (or few-line) forms SDKs and tools print an error in, read into a code, a
 * message, a status and a request id: botocore and the AWS CLI (`An error occurred (X) when
 * calling the Y operation: ...`), AWS SDK for Go v2 (`operation error S3: PutObject, https
 * response error StatusCode: 403, ..., api error X: ...`) and v1 (`X: ...\n\tstatus code: 403,
 * request id: ...`), Java v1 (`(Service: ...; Status Code: 403; Error Code: X; ...)`) and v2,
 * .NET (`Amazon...Exception: ...`, Azure's `RequestFailedException` with `Status:` and
 * `ErrorCode:` lines), Azure for Python, a Node error's first line (`X: message\n    at ...`),
 * Google's `invalid_grant` in any language, MinIO's `mc`, a log's `[403] Forbidden: ...`, and
 * any known error code followed by its message.
 */
export interface PrintedError {
  /** What printed it, in words. */
  source: string;
  code?: string;
  message?: string;
  status?: number;
  requestId?: string;
  operation?: string;
  /** Azure's `AuthenticationErrorDetail`, printed as a line of its own. */
  detail?: string;
}

type Reader = (text: string) => PrintedError | undefined;

const READERS: readonly Reader[] = [
  botocore,
  goV2,
  goV1,
  javaV1,
  javaV2,
  azurePrinted,
  dotnetAws,
  googleOauth,
  nodeErrorLine,
  pythonException,
  bracketStatus,
  statusLine,
  minioClient,
  knownCode,
];

/** Every form recognised in `text`, most specific first. Never throws. */
export function readPrintedErrors(text: string): PrintedError[] {
  const out: PrintedError[] = [];
  for (const reader of READERS) {
    try {
      const read = reader(text);
      if (read) out.push(withInferredCode(read));
    } catch {
      // A reader that cannot read says nothing.
    }
  }
  return out;
}

/** Several printed forms of one error, merged: earlier ones win field by field. */
export function mergePrinted(errors: readonly PrintedError[]): PrintedError | undefined {
  if (errors.length === 0) return undefined;
  const merged: PrintedError = { source: errors[0]!.source };
  for (const error of errors) {
    for (const key of ["code", "message", "status", "requestId", "operation", "detail"] as const) {
      if (merged[key] === undefined && error[key] !== undefined) {
        (merged as unknown as Record<string, unknown>)[key] = error[key];
      }
    }
  }
  return merged;
}

function withInferredCode(error: PrintedError): PrintedError {
  if (error.code !== undefined || error.message === undefined) return error;
  const code = codeOfMessage(error.message);
  return code === undefined ? error : { ...error, code };
}

function clean(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed ? trimmed : undefined;
}

function status(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{3}$/.test(text) ? Number(text) : undefined;
}

type Fields = { [K in keyof Omit<PrintedError, "source">]?: PrintedError[K] | undefined };

function build(source: string, fields: Fields): PrintedError {
  const out: PrintedError = { source };
  for (const [key, value] of Object.entries(fields)) {
    if (value !== undefined && value !== "")
      (out as unknown as Record<string, unknown>)[key] = value;
  }
  return out;
}

function botocore(text: string): PrintedError | undefined {
  const m =
    /An error occurred \(([^)\s]{1,80})\) when calling the (\w{1,80}) operation(?: \(reached max retries: \d+\))?: ?([^\n]*)/.exec(
      text,
    );
  if (!m) return undefined;
  const s = status(m[1]);
  return build("AWS CLI / botocore error", {
    code: s === undefined ? m[1] : undefined,
    status: s,
    operation: m[2],
    message: clean(m[3]),
  });
}

function goV2(text: string): PrintedError | undefined {
  const m =
    /operation error ([^:,\n]{1,60}): (\w{1,80}), https response error StatusCode: (\d{3}), RequestID: ([^,\n]*),(?: HostID: [^,\n]*,)? api error (\w{1,80}): ([^\n]*)/.exec(
      text,
    );
  if (!m) return undefined;
  return build("AWS SDK for Go v2 error", {
    operation: m[2],
    status: status(m[3]),
    requestId: clean(m[4]),
    code: m[5],
    message: clean(m[6]),
  });
}

function goV1(text: string): PrintedError | undefined {
  const m =
    /(?:^|: )([A-Z]\w{1,80}): ([^\n]*)\n\s*status code: (\d{3}), request id: ([^,\n]*)/m.exec(text);
  if (!m) return undefined;
  return build("AWS SDK for Go v1 error", {
    code: m[1],
    message: clean(m[2]),
    status: status(m[3]),
    requestId: clean(m[4]),
  });
}

function javaV1(text: string): PrintedError | undefined {
  const m =
    /(?:Exception|Error): ([^\n]*?) \(Service: [^;\n]{1,80}; Status Code: (\d{3}); Error Code: (\w{1,80}); Request ID: ([^;)\n]*)/.exec(
      text,
    );
  if (!m) return undefined;
  return build("AWS SDK for Java v1 exception", {
    message: clean(m[1]),
    status: status(m[2]),
    code: m[3],
    requestId: clean(m[4]),
  });
}

function javaV2(text: string): PrintedError | undefined {
  const m =
    /(?:Exception|Error): ([^\n]*?) \(Service: [^,\n]{1,80}, Status Code: (\d{3}), Request ID: ([^,)\n]*)/.exec(
      text,
    );
  if (!m) return undefined;
  return build("AWS SDK for Java v2 exception", {
    message: clean(m[1]),
    status: status(m[2]),
    requestId: clean(m[3]),
  });
}

/** Azure .NET `RequestFailedException` and Azure for Python's `azure.core.exceptions.*`. */
function azurePrinted(text: string): PrintedError | undefined {
  const head =
    /(Azure\.RequestFailedException|azure\.core\.exceptions\.\w+|Microsoft\.WindowsAzure\.Storage\.StorageException|RequestFailedException): ([^\n]*)/.exec(
      text,
    );
  const code = /^ErrorCode: ?(\w{1,80})\s*$/m.exec(text)?.[1];
  if (!head && !code) return undefined;
  return build(head?.[1]?.startsWith("azure.") ? "Azure SDK for Python error" : "Azure SDK error", {
    message: clean(head?.[2]),
    code,
    status: status(/^Status: (\d{3})\b/m.exec(text)?.[1]),
    requestId: clean(/^RequestId: ?([\w-]{8,80})\s*$/m.exec(text)?.[1]),
    detail: clean(/^AuthenticationErrorDetail: ?([^\n]*)$/im.exec(text)?.[1]),
  });
}

function dotnetAws(text: string): PrintedError | undefined {
  const m = /\bAmazon\.[\w.]*Exception: ([^\n]*)/.exec(text);
  if (!m) return undefined;
  return build("AWS SDK for .NET exception", { message: clean(m[1]) });
}

/** `oauth2: "invalid_grant" "..."` (Go), `invalid_grant: ...` (Node, Python, gcloud, Java). */
function googleOauth(text: string): PrintedError | undefined {
  const go = /oauth2: (?:cannot fetch token: [^\n]*?)?"(\w{1,40})" "([^"\n]*)"/.exec(text);
  if (go) return build("Go oauth2 error", { code: go[1], message: clean(go[2]) });
  const m =
    /\b(invalid_grant|invalid_client|unauthorized_client|invalid_scope|access_denied)(?::\s*|\s*-\s*)([^\n'"]*)/.exec(
      text,
    );
  if (!m) return undefined;
  return build("Google OAuth error", { code: m[1], message: clean(m[2]) });
}

/** Generic class names whose first line does not name the error. */
const GENERIC_NAMES =
  /^(?:Error|TypeError|S3Error|RestError|GaxiosError|ServiceException|S3ServiceException|AWSError|ApiError|StorageError|Exception|UnhandledPromiseRejectionWarning|AuthenticationFailedError)$/;

/** A Node error as printed: `Name: message` then `    at ...` stack lines. */
function nodeErrorLine(text: string): PrintedError | undefined {
  const m =
    /^(?:.*?UnhandledPromiseRejectionWarning: )?([A-Za-z_$][\w$]{0,80}): ([^\n]*)\n(?:[^\n]*\n){0,3}?\s+at /m.exec(
      text,
    );
  if (!m) return undefined;
  const name = m[1]!;
  let message = m[2]!;
  // `Error: invalid_grant: Robot is disabled.`: the real name follows.
  const inner = /^([A-Za-z_]\w{2,80}): (.*)$/.exec(message);
  let code: string | undefined = GENERIC_NAMES.test(name) ? undefined : name;
  if (!code && inner && (KNOWN_ERROR_CODES.has(inner[1]!) || /^[A-Z]\w+$/.test(inner[1]!))) {
    code = inner[1];
    message = inner[2]!;
  }
  return build("Node.js error", { code, message: clean(message) });
}

function pythonException(text: string): PrintedError | undefined {
  const m = /^([\w.]{1,120}\.\w*(?:Error|Exception)): ([^\n]*)$/m.exec(text);
  if (!m) return undefined;
  return build("Python exception", { message: clean(m[2]) });
}

/** `[401] Unauthorized: message` (PHP and other logs). */
function bracketStatus(text: string): PrintedError | undefined {
  const m = /\[(\d{3})\] ([A-Z][A-Za-z ]{2,40}): ([^\n]*?)(?: in \/\S+ on line \d+)?$/m.exec(text);
  if (!m) return undefined;
  return build("log line", { status: status(m[1]), message: clean(m[3]) });
}

/** `403 Forbidden: message` on its own. */
function statusLine(text: string): PrintedError | undefined {
  const m = /(?:^|\s)(\d{3}) (Forbidden|Unauthorized|Bad Request|Not Found)(?::\s*([^\n]*))?/m.exec(
    text,
  );
  if (!m) return undefined;
  return build("status and message", { status: status(m[1]), message: clean(m[3]) ?? m[2] });
}

function minioClient(text: string): PrintedError | undefined {
  const m = /\bmc: <ERROR> ([^\n]*)/.exec(text);
  if (!m) return undefined;
  return build("MinIO client (mc)", { message: clean(m[1]) });
}

/** Any known error code in the text, with what follows it on the line as the message. */
function knownCode(text: string): PrintedError | undefined {
  for (const m of text.matchAll(/\b[A-Za-z][A-Za-z_]{4,60}\b/g)) {
    const code = m[0];
    if (!KNOWN_ERROR_CODES.has(code)) continue;
    const end = text.indexOf("\n", m.index);
    const rest = text
      .slice(m.index + code.length, end < 0 ? undefined : end)
      .replace(/^[:)\s]+/, "");
    return build("error code in the text", { code, message: clean(rest) });
  }
  return undefined;
}
