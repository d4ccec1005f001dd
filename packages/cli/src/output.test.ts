import { describe, expect, it } from "vitest";
import { systemClock } from "@skewguard/diagnosis";
import type { CliIo } from "./io.js";
import {
  createPrinter,
  printable,
  printableDeep,
  quoted,
  terminalSafe,
  withoutUserInfo,
} from "./output.js";

describe("printable", () => {
  it("shows control characters and escape sequences instead of sending them", () => {
    expect(printable("a\u001b[2Jb")).toBe("a\\x1b[2Jb");
    expect(printable("\u001b]0;title\u0007")).toBe("\\x1b]0;title\\x07");
    expect(printable("x\u009b31m")).toBe("x\\x9b31m");
    expect(printable("\u202eevil")).toBe("\\u202eevil");
    expect(printable("over\rwrite")).toBe("over\\x0dwrite");
    expect(printable("del\u007f")).toBe("del\\x7f");
  });

  it("keeps a value on one line: breaks become ⏎, tabs spaces", () => {
    expect(printable("line one\n  line two\r\nthree")).toBe("line one ⏎ line two ⏎ three");
    expect(printable("a\tb")).toBe("a b");
    expect(printable("plain, ünïcödé ✓")).toBe("plain, ünïcödé ✓");
  });

  it("reaches every string of a value, leaving the rest", () => {
    expect(printableDeep({ a: "x\u001by", b: [1, "\n"], c: null, d: { e: true } })).toEqual({
      a: "x\\x1by",
      b: [1, " ⏎ "],
      c: null,
      d: { e: true },
    });
  });
});

describe("terminalSafe", () => {
  it("lets colours through only when the command colours, and nothing else ever", () => {
    const text = "\u001b[1mbold\u001b[22m \u001b[2J\u0007\n\tok";
    expect(terminalSafe(text, true)).toBe("\u001b[1mbold\u001b[22m \\x1b[2J\\x07\n\tok");
    expect(terminalSafe(text, false)).toBe("\\x1b[1mbold\\x1b[22m \\x1b[2J\\x07\n\tok");
  });
});

describe("withoutUserInfo and quoted", () => {
  it("drops everything before the last @ ahead of any query, whatever broke the URL", () => {
    expect(withoutUserInfo("https://u:p@h:99999/k")).toBe("https://[REDACTED]@h:99999/k");
    expect(withoutUserInfo("https://u:pa/ss@h/k?x=a@b")).toBe("https://[REDACTED]@h/k?x=a@b");
    expect(withoutUserInfo("u:p@h/k")).toBe("[REDACTED]@h/k");
    expect(withoutUserInfo("https://h/k?a=b@c")).toBe("https://h/k?a=b@c");
  });

  it("quotes at most 60 characters, cut after the credentials are gone", () => {
    const text = `https://${"u".repeat(50)}:${"p".repeat(30)}@[bad`;
    const out = quoted(text);
    expect(out).not.toContain("ppp");
    expect(JSON.parse(out)).toBe("https://[REDACTED]@[bad");
    expect(JSON.parse(quoted("x".repeat(100)))).toBe(`${"x".repeat(60)}…`);
  });
});

describe("createPrinter", () => {
  function capture() {
    let stdout = "";
    const io = {
      stdout: { write: (text: string) => (stdout += text), isTTY: false },
      stderr: { write: () => true, isTTY: false },
      env: {},
      clock: systemClock,
    } as unknown as CliIo;
    return { printer: createPrinter(io, { color: true }), out: () => stdout };
  }

  it("writes JSON whole however long (scrubbed, never cut at an event string's 4,096)", () => {
    const { printer, out } = capture();
    const value = { long: "word ".repeat(3000), note: `Signature=${"ab".repeat(32)}` };
    printer.json(value);
    const parsed = JSON.parse(out()) as typeof value;
    expect(parsed.long).toBe(value.long);
    expect(parsed.note).toBe("Signature=[REDACTED]");
  });

  it("escapes C1 and bidirectional controls in JSON, which JSON.stringify leaves raw", () => {
    const { printer, out } = capture();
    printer.json({ v: "a\u009b31m\u202eb" });
    expect(out()).toContain("\\u009b31m\\u202eb");
    expect(JSON.parse(out())).toEqual({ v: "a\u009b31m\u202eb" });
  });
});
