import { describe, expect, it } from "vitest";
import { judgeLocalClock } from "./local-clock.js";
import { clientClockOf, readLogReadings } from "./log-clock.js";

const T = (iso: string) => Date.parse(iso);

describe("readLogReadings", () => {
  it("reads the line-start forms and JSON time fields", () => {
    const text = [
      "2026-12-07 09:12:04,118 - botocore.auth - DEBUG",
      "2026-12-07 14:05:09.411 DEBUG 1 --- [pool-3-thread-1]",
      "SDK 2026/12/07 10:52:14 DEBUG Request",
      "2026-12-07T10:14:57.402Z\tSTART",
      "[2026-12-07 10:52:15] backup.ERROR",
      "[07-Dec-2026 10:31:12 UTC] PHP Warning",
      '{"level":"error","time":"2026-12-07T10:20:02.611Z"}',
      "10:02:29.511 [warning] ExAws",
      "RequestTime: not a log line",
    ].join("\n");
    const readings = readLogReadings(text, T("2026-12-07T10:00:00Z"));
    expect(readings.map((r) => [new Date(r.ms).toISOString(), r.zoned])).toEqual([
      ["2026-12-07T09:12:04.118Z", false],
      ["2026-12-07T14:05:09.411Z", false],
      ["2026-12-07T10:52:14.000Z", false],
      ["2026-12-07T10:14:57.402Z", true],
      ["2026-12-07T10:52:15.000Z", false],
      ["2026-12-07T10:31:12.000Z", true],
      ["2026-12-07T10:20:02.611Z", true],
      ["2026-12-07T10:02:29.511Z", false],
    ]);
  });

  it("takes the zone of unzoned readings from the signing line, in whole quarter hours", () => {
    // A log in UTC+01:00: the signing line reads an hour after X-Amz-Date.
    const text =
      "2026-12-07 11:04:55,301 - StringToSign:\n...\n2026-12-07 11:20:02,884 - Response headers";
    const readings = readLogReadings(text);
    const clock = clientClockOf(readings, T("2026-12-07T10:04:55Z"), 0);
    expect(clock).toEqual({
      clockAtSigningMs: T("2026-12-07T10:04:55.301Z"),
      clockAtResponseMs: T("2026-12-07T10:20:02.884Z"),
    });
  });

  it("leaves the zone unknown without a signing line", () => {
    const readings = readLogReadings("[2026-12-07 10:52:15] backup.ERROR");
    expect(clientClockOf(readings, T("2026-12-07T10:52:14Z"), undefined)).toEqual({
      clockAtResponseMs: T("2026-12-07T10:52:15Z"),
      zoneUnknown: true,
    });
  });
});

describe("judgeLocalClock", () => {
  const request = T("2026-12-07T10:04:55Z");
  const server = T("2026-12-07T10:20:02Z");
  it("a client clock that read the server's time: the request waited", () => {
    const j = judgeLocalClock(
      { lateSendSigns: [], clockAtResponseMs: server + 800 },
      server,
      request,
    );
    expect(j?.agreesWith).toBe("server");
  });
  it("a client clock that read the request's time: the clock was off", () => {
    const j = judgeLocalClock(
      { lateSendSigns: [], clockAtResponseMs: request + 400 },
      server,
      request,
    );
    expect(j?.agreesWith).toBe("request");
  });
  it("with the zone unknown, compares modulo 15 minutes, and only when one fits and the other does not", () => {
    const shifted = server + 2 * 3_600_000 + 500; // the server's time, in UTC+02:00
    const twentyMinutesOld = server - 20 * 60_000;
    expect(
      judgeLocalClock(
        { lateSendSigns: [], zoneUnknown: true, clockAtResponseMs: shifted },
        server,
        twentyMinutesOld,
      )?.agreesWith,
    ).toBe("server");
    // 15m 7s is 7 s from a whole quarter hour: a zone could explain either reading.
    expect(
      judgeLocalClock(
        { lateSendSigns: [], zoneUnknown: true, clockAtResponseMs: shifted },
        server,
        request,
      ),
    ).toBeUndefined();
    // A skew of exactly an hour fits both: no conclusion.
    expect(
      judgeLocalClock(
        { lateSendSigns: [], zoneUnknown: true, clockAtResponseMs: server },
        server,
        server - 3_600_000,
      ),
    ).toBeUndefined();
  });
  it("says nothing when server and request agree", () => {
    expect(
      judgeLocalClock({ lateSendSigns: [], clockAtResponseMs: request }, request + 1000, request),
    ).toBeUndefined();
  });
});
