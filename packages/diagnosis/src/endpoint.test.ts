import { describe, expect, it } from "vitest";
import { endpointKey } from "./endpoint.js";

describe("endpointKey", () => {
  it("keys an endpoint by host and port, without a virtual-hosted bucket", () => {
    expect(endpointKey({ hostname: "127.0.0.1", port: 9000 })).toBe("127.0.0.1:9000");
    expect(
      endpointKey({ hostname: "My-Bucket.s3.eu-west-1.amazonaws.com", path: "/key" }, "my-bucket"),
    ).toBe("s3.eu-west-1.amazonaws.com");
    // Path-style, for a bucket whose name is also the host's first label.
    expect(endpointKey({ hostname: "s3.amazonaws.com", path: "/s3/key" }, "s3")).toBe(
      "s3.amazonaws.com",
    );
  });

  it("reads URLs the same way, default ports omitted as URL does", () => {
    expect(endpointKey("https://Acct.blob.core.windows.net/c/b?sv=1")).toBe(
      "acct.blob.core.windows.net",
    );
    expect(endpointKey("http://127.0.0.1:10000/devstoreaccount1")).toBe("127.0.0.1:10000");
    expect(endpointKey(new URL("https://b.s3.amazonaws.com:443/k"), "b")).toBe("s3.amazonaws.com");
  });

  it("is undefined for what names no host", () => {
    expect(endpointKey("not a url")).toBeUndefined();
    expect(endpointKey({ hostname: "" })).toBeUndefined();
  });

  it("gives a URL text the key its parse gives, whether or not its origin was seen before", () => {
    // The reference: the URL parsed every time, as before the keys were kept by origin.
    const parsed = (text: string) => {
      try {
        const url = new URL(text);
        if (url.hostname === "") return undefined;
        return url.port ? `${url.hostname.toLowerCase()}:${url.port}` : url.hostname.toLowerCase();
      } catch {
        return undefined;
      }
    };
    const texts = [
      "https://Acct.blob.core.windows.net/c/b?sv=1",
      "https://acct.blob.core.windows.net:443/c/b",
      "http://127.0.0.1:10000/devstoreaccount1/c",
      "http://127.0.0.1:100000/devstoreaccount1/c",
      "http://user:secret@Host.example:8080/path",
      "http://host.example\\other.example/path",
      "http://host.example?x=//y/z",
      "http://host.example#frag/x",
      "https://host.example",
      "foo://bar//baz/qux",
      "not a url//x/y",
      " https://Spaced.example/k",
      "https://[::1]:9000/k",
    ];
    for (let round = 0; round < 2; round++) {
      for (const text of texts) expect(endpointKey(text), text).toBe(parsed(text));
    }
    // Many origins: the kept keys are bounded, and each still comes out right.
    for (let port = 1; port < 300; port++) {
      const text = `http://h${port % 7}.example:${port}/k`;
      expect(endpointKey(text)).toBe(parsed(text));
      expect(endpointKey(text)).toBe(parsed(text));
    }
  });
});
