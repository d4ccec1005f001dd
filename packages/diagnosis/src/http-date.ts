/**
 * RFC 7231 section 7.1.1.1 HTTP-date: the preferred IMF-fixdate and the two obsolete forms a
 * recipient must still accept. Servers' `Date` headers and Azure's error details use it.
 */

/** Longer than any valid HTTP-date (29 chars) by a margin: longer input is not a date. */
const MAX_DATE_LENGTH = 64;

const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

const DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)";
const LONG_DAY = "(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const MONTH = "(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)";
const TIME = "(\\d{2}):(\\d{2}):(\\d{2})";

// Sun, 06 Nov 1994 08:49:37 GMT
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
// Sunday, 06-Nov-94 08:49:37 GMT
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
// Sun Nov  6 08:49:37 1994
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

/**
 * Epoch ms of an HTTP-date, or undefined for anything that is not one (never throws).
 * The weekday name is checked for form only: it carries no information the date lacks.
 */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (typeof value !== "string" || value.length > MAX_DATE_LENGTH) return undefined;
  const text = value.trim();
  const imf = IMF_FIXDATE.exec(text);
  if (imf) return fromParts(imf[3], imf[2], imf[1], imf[4], imf[5], imf[6]);
  const rfc850 = RFC850_DATE.exec(text);
  if (rfc850)
    return fromParts(
      twoDigitYear(rfc850[3]),
      rfc850[2],
      rfc850[1],
      rfc850[4],
      rfc850[5],
      rfc850[6],
    );
  const asctime = ASCTIME_DATE.exec(text);
  if (asctime)
    return fromParts(asctime[6], asctime[1], asctime[2], asctime[3], asctime[4], asctime[5]);
  return undefined;
}

/**
 * RFC 7231 resolves two-digit years against the current date; this module reads no clock, so it
 * pivots at 70 instead: years before 1970 are rejected anyway, so 70-99 can only mean the 1900s.
 */
function twoDigitYear(yy: string | undefined): string | undefined {
  if (yy === undefined) return undefined;
  const n = Number(yy);
  return String(n >= 70 ? 1900 + n : 2000 + n);
}

function fromParts(
  year: string | undefined,
  month: string | undefined,
  day: string | undefined,
  hour: string | undefined,
  minute: string | undefined,
  second: string | undefined,
): number | undefined {
  const monthNumber = month === undefined ? undefined : MONTHS[month];
  if (monthNumber === undefined) return undefined;
  return utcEpochMs(
    Number(year),
    monthNumber,
    Number(day?.trim()),
    Number(hour),
    Number(minute),
    Number(second),
  );
}

/**
 * Epoch ms of a UTC calendar time, or undefined when the fields name no real instant (Feb 30,
 * hour 24) or lie outside 1970-9999: a server clock before the epoch is a broken one. Second 60
 * (a leap second) is accepted and reads as the next second's start, as RFC 5322 allows.
 * Shared with the ISO 8601 reader so both refuse the same impossible dates.
 */
export function utcEpochMs(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
): number | undefined {
  const fields = [year, month, day, hour, minute, second];
  if (!fields.every(Number.isInteger)) return undefined;
  if (year < 1970 || year > 9999 || month < 1 || month > 12) return undefined;
  if (day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60 || hour < 0 || minute < 0 || second < 0) {
    return undefined;
  }
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}
