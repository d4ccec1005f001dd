import { describe, expect, it } from "vitest";
import { bodyText, hostOf, toHeaderMap } from "./headers.js";

describe("toHeaderMap", () => {
  it("reads gaxios 6 / teeny-request plain objects, lower-casing names and joining arrays", () => {
    expect(
      toHeaderMap({
        Date: "Mon, 23 Nov 2026 10:00:00 GMT",
        "Set-Cookie": ["a", "b"],
        X: 1,
        N: null,
      }),
    ).toEqual({ date: "Mon, 23 Nov 2026 10:00:00 GMT", "set-cookie": "a, b", x: "1" });
  });

  it("reads gaxios 7 / fetch Headers", () => {
    const headers = new Headers({ Date: "Mon, 23 Nov 2026 10:00:00 GMT", Age: "3" });
    expect(toHeaderMap(headers)).toEqual({ date: "Mon, 23 Nov 2026 10:00:00 GMT", age: "3" });
  });

  it("yields nothing for what is not headers", () => {
    expect(toHeaderMap(undefined)).toEqual({});
    expect(toHeaderMap("Date: x")).toEqual({});
  });
});

describe("hostOf / bodyText", () => {
  it("keys endpoints as host[:port], dropping default ports", () => {
    expect(hostOf("https://Storage.googleapis.com/b/o")).toBe("storage.googleapis.com");
    expect(hostOf(new URL("http://127.0.0.1:4443/token"))).toBe("127.0.0.1:4443");
    expect(hostOf("https://storage.googleapis.com:443/")).toBe("storage.googleapis.com");
    expect(hostOf("not a url")).toBeUndefined();
    expect(hostOf(42)).toBeUndefined();
  });

  it("serialises parsed JSON bodies and caps text", () => {
    expect(bodyText({ error: "invalid_grant" }, 100)).toBe('{"error":"invalid_grant"}');
    expect(bodyText("x".repeat(10), 4)).toBe("xxxx");
    expect(bodyText(Buffer.from("<Error/>"), 100)).toBe("<Error/>");
    expect(bodyText(undefined, 10)).toBeUndefined();
  });

  it("keeps a parsed body parseable when one member is huge", () => {
    const huge = {
      error: "invalid_grant",
      error_description: "Invalid JWT",
      padding: "x".repeat(1e6),
    };
    const text = bodyText(huge, 16 * 1024) ?? "";
    expect(text.length).toBeLessThanOrEqual(16 * 1024);
    expect(JSON.parse(text)).toMatchObject({
      error: "invalid_grant",
      error_description: "Invalid JWT",
    });
  });
});
