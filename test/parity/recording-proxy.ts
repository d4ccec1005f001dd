import {
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
  createServer,
  request,
} from "node:http";
import type { AddressInfo } from "node:net";

/** One request that went through the proxy, and the response as the server sent it. */
export interface Exchange {
  method: string;
  /** Path and query as the client sent them. */
  path: string;
  /** The client's request headers, raw (name, value, name, value...). */
  requestHeaders: string[];
  /** The request body as far as the client sent it. */
  requestBody: Buffer;
  httpVersion: string;
  status: number;
  statusMessage: string;
  /** The response headers as received: original case, order and repetitions. */
  rawHeaders: string[];
  /** The body as received (after HTTP chunked framing, as `curl -i` shows it). */
  body: Buffer;
}

export interface RecordingProxy {
  /** `http://127.0.0.1:<port>`: give it to the client as its endpoint. */
  url: string;
  host: string;
  port: number;
  exchanges: Exchange[];
  close(): Promise<void>;
}

/**
 * A transparent HTTP proxy on 127.0.0.1 in front of `target` (an origin): every request is
 * forwarded byte for byte, Host header included (SigV4 signs it; the servers behind it check
 * signatures over what they receive), `Expect: 100-continue` passed through both ways, and
 * every response recorded as it came over the wire before being handed to the client.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const exchanges: Exchange[] = [];

  const forward = (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean) => {
    const sent: Buffer[] = [];
    let sending = false;
    // The body goes on only once the server behind is ready for it (at once without Expect).
    const sendBody = () => {
      sending = true;
      req.on("data", (chunk: Buffer) => sent.push(chunk));
      req.pipe(out);
    };
    const out = request({
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      // The raw list: the client's Host (the proxy's address) and header case are kept.
      headers: req.rawHeaders as unknown as OutgoingHttpHeaders,
      agent: false,
    });
    out.on("continue", () => {
      res.writeContinue();
      sendBody();
    });
    out.on("response", (answer) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        res.write(chunk);
      });
      answer.on("end", () => {
        exchanges.push({
          method: req.method ?? "GET",
          path: req.url ?? "/",
          requestHeaders: [...req.rawHeaders],
          requestBody: Buffer.concat(sent),
          httpVersion: answer.httpVersion,
          status: answer.statusCode ?? 0,
          statusMessage: answer.statusMessage ?? "",
          rawHeaders: [...answer.rawHeaders],
          body: Buffer.concat(chunks),
        });
        res.end();
        // Refused before its body was asked for: the body is not wanted any more.
        if (!sending) {
          req.resume();
          out.destroy();
        }
      });
      res.sendDate = false; // the server's own Date, not ours
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
    });
    out.on("error", () => res.destroy());
    req.on("error", () => out.destroy());
    if (!expectsContinue) sendBody();
  };

  const server = createServer((req, res) => forward(req, res, false));
  // Without this listener Node answers 100 Continue itself, before the server behind has
  // judged the request: pass the expectation on and relay the server's own answer instead.
  server.on("checkContinue", (req, res) => forward(req, res, true));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  server.unref();
  return {
    url: `http://127.0.0.1:${port}`,
    host: "127.0.0.1",
    port,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The exchange as `curl -i` prints it: status line, headers, blank line, body. */
export function curlOutput(exchange: Exchange): string {
  const lines = [`HTTP/${exchange.httpVersion} ${exchange.status} ${exchange.statusMessage}`];
  for (let i = 0; i + 1 < exchange.rawHeaders.length; i += 2) {
    lines.push(`${exchange.rawHeaders[i]}: ${exchange.rawHeaders[i + 1]}`);
  }
  return `${lines.join("\r\n")}\r\n\r\n${exchange.body.toString("utf8")}`;
}
