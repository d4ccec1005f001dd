import { readdirSync, readFileSync } from "node:fs";
import fc from "fast-check";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_BODIES } from "../../packages/diagnosis/src/error-bodies.fixture.js";
import { readErrorElement } from "../../packages/diagnosis/src/error-xml.js";
import { bundlePage, launchChromium, type PageServer, servePage } from "./chromium.js";

/**
 * One reading of error documents on both platforms: the browser build reads them with the
 * browser's DOMParser, Node with fast-xml-parser, and what `readErrorElement` returns must be
 * the same for every body the parser tests use, every corpus case and hostile documents; for
 * thousands of mutations of the real ones, the same wherever both read the body. The Node reader's answers are the ones its own tests
 * (`packages/diagnosis/src/error-xml.test.ts` and the parser tests) pin down.
 */

let browser: Browser;
let server: PageServer;
let page: Page;

beforeAll(async () => {
  const [launched, files] = await Promise.all([
    launchChromium(),
    bundlePage("./error-xml-page.mjs"),
  ]);
  browser = launched;
  server = await servePage(files);
  page = await browser.newPage();
  await page.goto(server.url);
  await page.waitForFunction(() => (globalThis as { pageReady?: boolean }).pageReady === true);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

type Reading = Array<[string, string]> | null;

function inNode(bodies: readonly string[]): Reading[] {
  return bodies.map((body) => {
    const children = readErrorElement(body);
    return children === undefined ? null : [...children];
  });
}

async function inChromium(bodies: readonly string[]): Promise<Reading[]> {
  return page.evaluate(
    (all) => (globalThis as unknown as { readAll: (b: string[]) => Reading[] }).readAll(all),
    [...bodies],
  );
}

/** Each body with both readings, where they differ. */
async function disagreements(bodies: readonly string[]) {
  const [node, chromium] = [inNode(bodies), await inChromium(bodies)];
  return bodies
    .map((body, i) => ({ body, node: node[i], chromium: chromium[i] }))
    .filter(({ node, chromium }) => JSON.stringify(node) !== JSON.stringify(chromium));
}

const XML_BODIES = ALL_BODIES.filter((body) => body.trimStart().startsWith("<"));

const corpusDir = new URL("../diagnosis-corpus/cases/", import.meta.url);
const CORPUS = readdirSync(corpusDir).map((name) => readFileSync(new URL(name, corpusDir), "utf8"));

/** Documents a reader must refuse or read literally, whatever its parser. */
const HOSTILE = [
  '<!DOCTYPE Error [<!ENTITY a "expanded">]><Error><Code>&a;</Code></Error>',
  '<!DOCTYPE Error [<!ENTITY secret SYSTEM "file:///etc/passwd">]><Error><Code>&secret;</Code></Error>',
  '<!DOCTYPE Error [<!ENTITY a "x"><!ENTITY b "&a;&a;&a;&a;">]><Error><Code>&b;</Code></Error>',
  '<?xml version="1.0"?>\n<!DOCTYPE Error>\n<Error><Code>A</Code></Error>',
  "<Error><Code>&nbsp;&#0;&#xD800;&#12345678;&#;&#x;</Code></Error>",
  "<Error><Code>a & b</Code></Error>",
  "<Error><Code>a &amp b</Code></Error>",
  "<Error><Code><![CDATA[&nbsp; & <x>]]></Code></Error>",
  "<Error><Code>A<!--x-->B</Code><Message>m<?pi x?>n</Message></Error>",
  "<Error>oops</Error>",
  "<Error/>",
  "<Error><Code>A</Code></Error><Other/>",
  "<Error><Code>A</Code></Error>trailing",
  "<Error><Code>A</Code></Error><!-- after -->",
  '<Error xmlns="urn:x"><Code>A</Code></Error>',
  '<s3:Error xmlns:s3="urn:x"><s3:Code>A</s3:Code></s3:Error>',
  "<Error><Code a='1'>A</Code></Error>",
  "<Error><Code x='1' x='2'>A</Code></Error>",
  "<Error><Code>A</Code><Code><x/></Code><Message><y/></Message><Message>M</Message></Error>",
  "<Error><__proto__>p</__proto__><constructor>c</constructor></Error>",
  "<Error><Code>a>b</Code></Error>",
  "<Error><Code>a<b</Code></Error>",
  "<Error><Code>A</code></Error>",
  "<Error><1Code>A</1Code></Error>",
  "<Error><Code>A</Code>\u0000</Error>",
  "<Error><Code>\r\nA\r</Code><Message>&#13;A&#x9;</Message></Error>",
  `<Error>${"<a>".repeat(16)}x${"</a>".repeat(16)}<Code>A</Code></Error>`,
  `<Error>${"<a>".repeat(17)}x${"</a>".repeat(17)}<Code>A</Code></Error>`,
  "<ErrorResponse><Error>x</Error><Error><Code>B</Code></Error><RequestID>r</RequestID></ErrorResponse>",
  "<Response><Errors><Error><Code>C</Code></Error></Errors><RequestID>r</RequestID></Response>",
];

/** Pieces that stress a reader, put into real bodies at random places. */
const PIECES = [
  "&",
  "&amp;",
  "&lt;",
  "&nbsp;",
  "&#0;",
  "&#x41;",
  "&#65;",
  "<![CDATA[x&y<z]]>",
  "<!-- c -->",
  "<?pi x?>",
  "<x/>",
  "<x>t</x>",
  "</Error>",
  "<Error>",
  "<",
  ">",
  '"',
  "]]>",
  "\r\n",
  "\t",
  "\uFEFF",
  "\u00e9",
  "\u{1F600}",
];

const mutation = fc.oneof(
  // Cut anywhere: a truncated body.
  fc
    .record({ body: fc.constantFrom(...XML_BODIES), at: fc.nat() })
    .map(({ body, at }) => body.slice(0, at % (body.length + 1))),
  // Something inserted anywhere, once or a few times.
  fc
    .record({
      body: fc.constantFrom(...XML_BODIES),
      inserts: fc.array(fc.tuple(fc.nat(), fc.constantFrom(...PIECES)), {
        minLength: 1,
        maxLength: 3,
      }),
    })
    .map(({ body, inserts }) =>
      inserts.reduce((text, [at, piece]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + piece + text.slice(i);
      }, body),
    ),
);

describe("error documents read the same in Chromium as on Node", () => {
  it("the parser tests' bodies and the diagnosis corpus", async () => {
    expect(XML_BODIES.length).toBeGreaterThan(10);
    expect(await disagreements([...ALL_BODIES, ...CORPUS])).toEqual([]);
    // The readings are not all empty: the comparison has something to compare.
    expect(inNode(XML_BODIES).every((reading) => reading !== null)).toBe(true);
  });

  it("hostile documents", async () => {
    expect(await disagreements(HOSTILE)).toEqual([]);
  });

  it("mutations of real bodies", async () => {
    const bodies = fc.sample(mutation, { numRuns: 2000, seed: 20261204 });
    const found = await disagreements(bodies);
    // Where both read a body, they read the same, and Chromium never reads what Node refuses.
    expect(found.filter(({ chromium }) => chromium !== null)).toEqual([]);
    // The one known difference: fast-xml-parser lets a few malformed documents through that
    // Chromium's parser refuses (a "<" inside an attribute value or a processing instruction:
    // 9 in 4,000 mutations when measured). Kept rare; a real server sends none of them.
    expect(found.length).toBeLessThan(bodies.length / 100);
    // Both kinds are there: bodies still read, and bodies refused.
    const readings = inNode(bodies);
    expect(readings.filter((r) => r !== null).length).toBeGreaterThan(200);
    expect(readings.filter((r) => r === null).length).toBeGreaterThan(200);
  });
});
