import { describe, expect, it } from "vitest";
import { describeOffset, formatDuration, formatOffset } from "./format.js";

describe("format", () => {
  it("never carries 60 seconds into the display", () => {
    expect(formatDuration(179_987)).toBe("3m 0s");
    expect(formatDuration(59_970)).toBe("1m 0s");
    expect(formatDuration(1_200_437)).toBe("20m 0.4s");
    expect(formatDuration(450)).toBe("450ms");
    expect(formatDuration(3 * 86_400_000 + 5 * 3_600_000)).toBe("3d 5h");
  });

  it("says which way the clock is off", () => {
    expect(formatOffset(-179_987)).toBe("-3m 0s (-179987ms)");
    expect(describeOffset(1_200_000)).toBe("20m 0s behind the server's");
    expect(describeOffset(-2_500)).toBe("2.5s ahead of the server's");
  });
});
