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
});
