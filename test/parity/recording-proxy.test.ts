import { type Server, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { type RecordingProxy, curlOutput, startRecordingProxy } from "./recording-proxy.js";

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A server that answers as `setup` makes it; closed after the test. */
async function origin(setup: (server: Server) => void): Promise<string> {
  const server = createServer();
  setup(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function proxyTo(target: string): Promise<RecordingProxy> {
  const proxy = await startRecordingProxy(target);
  closers.push(proxy.close);
  return proxy;
}

/** One request through `url` with raw headers; the status, headers and body the client got. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? "GET", headers: options.headers ?? {} });
    req.on("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on("error", reject);
    if (options.body !== undefined && options.headers?.["Expect"] !== undefined) {
      req.on("continue", () => req.end(options.body));
    } else {
      req.end(options.body);
    }
  });
}

describe("the recording proxy", () => {
  it("forwards the client's Host and headers unchanged and records the answer as sent", async () => {
    const target = await origin((server) =>
      server.on("request", (req, res) => {
        const body = JSON.stringify({ host: req.headers.host, auth: req.headers["x-signed"] });
        // Mixed case, a repeated header, chunked framing: all kept in the capture.
        res.writeHead(403, "Forbidden", [
          "X-Amz-Request-Id",
          "ABC",
          "Date",
          "Fri, 04 Dec 2026 18:13:00 GMT",
          "x-dup",
          "1",
          "x-dup",
          "2",
          "Transfer-Encoding",
          "chunked",
        ]);
        res.write(body.slice(0, 5));
        res.end(body.slice(5));
      }),
    );
    const proxy = await proxyTo(target);
    const got = await send(`${proxy.url}/b/k?x=1`, { headers: { "X-Signed": "yes" } });
    expect(got.status).toBe(403);
    expect(JSON.parse(got.body)).toEqual({ host: `127.0.0.1:${proxy.port}`, auth: "yes" });
    expect(got.headers["date"]).toBe("Fri, 04 Dec 2026 18:13:00 GMT");

    const [exchange] = proxy.exchanges;
    expect(exchange).toMatchObject({ method: "GET", path: "/b/k?x=1", status: 403 });
    expect(curlOutput(exchange!)).toBe(
      [
        "HTTP/1.1 403 Forbidden",
        "X-Amz-Request-Id: ABC",
        "Date: Fri, 04 Dec 2026 18:13:00 GMT",
        "x-dup: 1",
        "x-dup: 2",
        "Transfer-Encoding: chunked",
        // Node's own, sent by the server behind: on the wire, so in the capture.
        "Connection: keep-alive",
        "Keep-Alive: timeout=5",
        "",
        got.body,
      ].join("\r\n"),
    );
  });

  it("passes Expect: 100-continue through: a refusal before the body reaches the client as sent", async () => {
    let bodiesRead = 0;
    // A server that judges the headers first, as S3 does: a refusal never asks for the body.
    const target = await origin((server) =>
      server.on("checkContinue", (req, res) => {
        if (req.headers["x-refuse"]) {
          res.writeHead(403, { "Content-Type": "application/xml" }).end("<Error/>");
          return;
        }
        res.writeContinue();
        req.on("data", () => bodiesRead++);
        req.on("end", () => res.end("stored"));
      }),
    );
    const proxy = await proxyTo(target);
    const put = (refuse: boolean) =>
      send(`${proxy.url}/k`, {
        method: "PUT",
        headers: {
          Expect: "100-continue",
          "Content-Length": "5",
          ...(refuse ? { "X-Refuse": "1" } : {}),
        },
        body: "hello",
      });
    expect(await put(true)).toMatchObject({ status: 403, body: "<Error/>" });
    expect(bodiesRead).toBe(0);
    expect(await put(false)).toMatchObject({ status: 200, body: "stored" });
    expect(bodiesRead).toBeGreaterThan(0);
    expect(proxy.exchanges.map((e) => [e.status, e.requestBody.toString()])).toEqual([
      [403, ""],
      [200, "hello"],
    ]);
  });
});
