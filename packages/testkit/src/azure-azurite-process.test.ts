import { describe, expect, it } from "vitest";
import { startAzuriteProcess } from "./azure-azurite-process.js";

describe("startAzuriteProcess", () => {
  it("refuses a libfaketime path that does not exist, rather than run on the real clock", async () => {
    await expect(
      startAzuriteProcess({ faketime: "+20m", libfaketime: "/nonexistent/libfaketime.so.1" }),
    ).rejects.toThrow("libfaketime: no such file /nonexistent/libfaketime.so.1");
  });
});
