import { describe, expect, it } from "vitest";
import { findObjectLiterals, readLiteral } from "./literal-reader.js";

describe("readLiteral", () => {
  it("reads JSON exactly", () => {
    expect(readLiteral('{"a": [1, 2.5, true, null], "b": {"c": "d\\n\\u0041"}}')?.value).toEqual({
      a: [1, 2.5, true, null],
      b: { c: "d\nA" },
    });
  });

  it("reads util.inspect: bare keys, quoted keys, dates, undefined, class prefixes, concatenation", () => {
    const text = `{
  '$fault': 'client',
  '$response': HttpResponse {
    statusCode: 403,
    headers: { date: 'Mon, 07 Dec 2026 11:35:12 GMT' },
    body: IncomingMessage {}
  },
  time: 2026-12-07T10:58:05.612Z,
  cfId: undefined,
  StringToSign: 'AWS4-HMAC-SHA256\\n' +
    '20261207T113512Z',
  nested: [Object],
  list: [Array]
}`;
    const value = readLiteral(text)?.value as Record<string, unknown>;
    expect(value["$fault"]).toBe("client");
    expect(value["$response"]).toEqual({
      statusCode: 403,
      headers: { date: "Mon, 07 Dec 2026 11:35:12 GMT" },
      body: {},
    });
    expect(value["time"]).toBe("2026-12-07T10:58:05.612Z");
    expect(value["cfId"]).toBeUndefined();
    expect(value["StringToSign"]).toBe("AWS4-HMAC-SHA256\n20261207T113512Z");
  });

  it("reads Python reprs: single quotes, bytes literals split over lines, tuples, None", () => {
    const text = `{'data': b'<Error>calcula'
         b'ted</Error>', 'headers': [('Date', 'Mon'), ('x', 'y')], 'status': 403, 'x': None}`;
    expect(readLiteral(text)?.value).toEqual({
      data: "<Error>calculated</Error>",
      headers: [
        ["Date", "Mon"],
        ["x", "y"],
      ],
      status: 403,
      x: null,
    });
  });

  it("reads Elixir tuples inside a map", () => {
    const text =
      '%{body: "<x a=\\"1\\"/>", headers: [{"Date", "Mon, 07 Dec 2026 10:18:12 GMT"}], status_code: 403}';
    const found = findObjectLiterals(text);
    expect(found[0]).toEqual({
      body: '<x a="1"/>',
      headers: [["Date", "Mon, 07 Dec 2026 10:18:12 GMT"]],
      status_code: 403,
    });
  });

  it("finds the outermost objects in prose, skipping what does not read", () => {
    const text = `RestError: failed {not an object} then
 {"name": "RestError", "statusCode": 403, "details": {"errorCode": "AuthenticationFailed"}}`;
    const found = findObjectLiterals(text);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ name: "RestError", statusCode: 403 });
  });

  it("never throws, on truncated or hostile text", () => {
    const inputs = [
      "{",
      "{'a': 'b",
      "{a: [1, 2",
      "[".repeat(10_000),
      "{".repeat(10_000),
      "{a: {b: {c: ",
      ")]}",
    ];
    for (const text of inputs) {
      expect(() => readLiteral(text)).not.toThrow();
      expect(() => findObjectLiterals(text)).not.toThrow();
    }
  });
});
