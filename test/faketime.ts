import { findLibfaketime } from "@skewguard/testkit";

/**
 * libfaketime for a suite that runs a process on a really skewed clock. It is a Debian package:
 * scripts/test.sh installs it and sets SKEWGUARD_REQUIRE_FAKETIME, under which (and under CI) a
 * missing library fails the suite; elsewhere the suite says it is skipped, and why.
 */
export function libfaketimeFor(suite: string): string | undefined {
  const library = findLibfaketime();
  if (!library && (process.env["CI"] || process.env["SKEWGUARD_REQUIRE_FAKETIME"])) {
    throw new Error(
      "libfaketime is not installed: scripts/test.sh installs it (apt-get install libfaketime)",
    );
  }
  if (!library) {
    console.warn(`${suite} skipped: libfaketime is not installed (apt-get install libfaketime)`);
  }
  return library;
}
