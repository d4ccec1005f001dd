import { readErrorElement } from "./error-xml.js";

/**
 * Error documents inside other text: an S3/GCS/Azure/awsQuery/EC2 XML error in a log line, a
 * Python bytes literal (`b'<?xml ...>\n<Error>...'`, split over lines by pprint), a JSON
 * string (`"<?xml version=\"1.0\"...`), or a Java wire log (`[\n]` for each newline). Each
 * candidate is decoded as its context calls for, then read by the one XML reader (fast-xml-parser
 * behind `readErrorElement`); a candidate that does not read as a complete error is skipped.
 */

/** Where an XML error document may begin. */
const XML_START = /<\?xml\b|<(?:Error|ErrorResponse)[\s>]|<Response>\s*<Errors>/g;
const ROOT = /<(Error|ErrorResponse|Response)[\s>]/;
/** No error document is longer. */
const MAX_XML_CHARS = 64 * 1024;
/** Candidates looked at; a paste holds one or two. */
const MAX_CANDIDATES = 16;

/** The XML error documents found in `text`, decoded, in order; their text children are read by `readErrorElement`. */
export function findXmlErrors(text: string): string[] {
  const found: string[] = [];
  let tries = 0;
  let lastEnd = 0;
  for (const match of text.matchAll(XML_START)) {
    if (++tries > MAX_CANDIDATES) break;
    const start = match.index;
    if (start < lastEnd) continue;
    const root = ROOT.exec(text.slice(start, start + 512));
    if (!root) continue;
    const close = `</${root[1]}>`;
    const end = text.indexOf(close, start);
    if (end < 0 || end - start > MAX_XML_CHARS) continue;
    const raw = text.slice(start, end + close.length);
    const decoded = decodeCandidates(raw).find((xml) => readErrorElement(xml) !== undefined);
    if (decoded !== undefined) {
      found.push(decoded);
      lastEnd = end + close.length;
    }
  }
  return found;
}

/**
 * The ways `raw` may have been escaped, most likely first: a Java wire log marks newlines `[\n]`,
 * a JSON string escapes quotes, a Python literal escapes newlines; text without backslashes is
 * taken as it is.
 */
function decodeCandidates(raw: string): string[] {
  const out: string[] = [];
  if (raw.includes("[\\n]") || raw.includes("[\\r]")) out.push(decodeWire(raw));
  if (raw.includes('\\"')) out.push(decodeBackslashes(raw));
  if (/\\[nrt'\\x]/.test(raw) || /(['"])\s*\n\s*b\1/.test(raw)) {
    out.push(decodeBackslashes(joinPythonLiterals(raw)));
  }
  out.push(raw);
  return out;
}

/** Apache HttpClient's wire log: `[\r][\n]` for CR LF. */
function decodeWire(raw: string): string {
  return raw.replaceAll("[\\r]", "\r").replaceAll("[\\n]", "\n");
}

/** pprint splits a long bytes literal into adjacent ones: `...calcula'\n     b'ted...`. */
function joinPythonLiterals(raw: string): string {
  return raw.replace(/(['"])\s*\n\s*b?\1/g, "");
}

const ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  r: "\r",
  t: "\t",
  '"': '"',
  "'": "'",
  "\\": "\\",
  "/": "/",
};

/** JSON, JavaScript, Python and Elixir string escapes. */
export function decodeBackslashes(raw: string): string {
  return raw.replace(/\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)/g, (whole, sequence: string) => {
    if (sequence.length > 1) return String.fromCharCode(Number.parseInt(sequence.slice(1), 16));
    return ESCAPES[sequence] ?? whole;
  });
}
