import { describe, expect, it } from "vitest";
import { skewguard, stdinOf } from "../cli/helpers.js";
import { fragmentsOf } from "./fragments.js";

/**
 * Pasted text that the reader quotes by its first 300 characters (Google's error description
 * when the paste names no invalid_grant, an AWS clock complaint with no message): a secret the
 * paste holds across the 300th character must leave nothing of itself in the report.
 */
const SIGNATURE = "8f3d1a0e6c2b9f7e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e";
const TOKEN = "ya29.a0AfB_byC-xYz12_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcDEF_ghi";

function pasteAround(prefix: string, secret: string, into: number, suffix: string): string {
  return `${prefix}${" w".repeat(200).slice(0, 300 - into - prefix.length)}${secret}${suffix}`;
}

describe("a pasted failure cut at 300 characters by the reader", () => {
  for (const [name, prefix, suffix] of [
    ["Google's error description", "Invalid JWT Signature. ", " more words"],
    [
      "an AWS clock complaint",
      "Signature expired: 20231020T101500Z is now earlier than 20231020T102501Z (20231020T103001Z - 5 min.) ",
      " more words",
    ],
  ] as const) {
    it(`${name}: no fragment of a secret across the cut, human or JSON`, async () => {
      for (const secret of [SIGNATURE, TOKEN]) {
        for (const into of [1, 12, 30, secret.length - 1]) {
          const text = pasteAround(prefix, secret, into, suffix);
          for (const args of [
            ["doctor", "error", "-"],
            ["doctor", "error", "-", "--json"],
          ]) {
            const result = await skewguard(args, { stdin: stdinOf(text) });
            expect(result.code, `${secret.slice(0, 8)} ${into}`).toBe(1);
            expect(fragmentsOf(secret, result.stdout + result.stderr)).toEqual([]);
          }
        }
      }
    });
  }
});
