// A TCP relay that notes when each request body's first byte reaches the server: the tests
// under test/streams and `pnpm bench` (scripts/bench-streams.mjs) share it. Plain JavaScript, so
// that the bench can load it without a build; its types are in body-relay.d.mts.
import { createConnection, createServer } from "node:net";
import { performance } from "node:perf_hooks";

/**
 * A TCP relay in front of `target` (`http://host:port`) that notes when the first byte of each
 * request body went by: when the server began to receive it. Follows `Content-Length` and
 * chunked framing, so requests on a kept-alive connection are told apart.
 */
export async function firstByteRelay(target) {
  const { hostname, port } = new URL(target);
  const bodyStarts = [];
  const sockets = new Set();
  const server = createServer((client) => {
    const upstream = createConnection({ host: hostname, port: Number(port) });
    sockets.add(client);
    sockets.add(upstream);
    client.on(
      "data",
      reader((at) => bodyStarts.push(at)),
    );
    client.pipe(upstream);
    upstream.pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    /** When the first body byte went by at or after `since` (performance.now()). */
    firstBodyByteAfter: (since) => bodyStarts.find((t) => t >= since),
    /** How many request bodies have begun to arrive. */
    get bodiesStarted() {
      return bodyStarts.length;
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A request-stream reader calling `onBodyStart(time)` at the first body byte of each request. */
function reader(onBodyStart) {
  let pending = Buffer.alloc(0); // bytes of a head or a chunk-size line not yet complete
  let state = "head"; // head | length (fixed body) | size (chunk-size line) | data | trailer
  let remaining = 0;
  let started = false;
  const bodyByte = () => {
    if (!started) {
      started = true;
      onBodyStart(performance.now());
    }
  };
  const line = (terminator) => {
    const end = pending.indexOf(terminator);
    if (end < 0) return undefined;
    const text = pending.subarray(0, end).toString("latin1");
    pending = pending.subarray(end + terminator.length);
    return text;
  };
  return (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (state === "length" || state === "data") {
        if (pending.length === 0) return;
        bodyByte();
        const take = Math.min(remaining, pending.length);
        remaining -= take;
        pending = pending.subarray(take);
        if (remaining > 0) return;
        state = state === "length" ? "head" : "size";
        continue;
      }
      if (state === "size" && pending.length > 0) bodyByte();
      const text = line(state === "head" ? "\r\n\r\n" : "\r\n");
      if (text === undefined) return;
      if (state === "head") {
        started = false;
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(text);
        if (/\r\ntransfer-encoding:\s*chunked/i.test(text)) state = "size";
        else if (length && Number(length[1]) > 0) {
          state = "length";
          remaining = Number(length[1]);
        }
      } else if (state === "size") {
        const size = Number.parseInt(text, 16);
        if (size === 0) state = "trailer";
        else {
          state = "data";
          remaining = size + 2; // the data and its CRLF
        }
      } else if (text === "") state = "head"; // the end of the trailers
    }
  };
}
