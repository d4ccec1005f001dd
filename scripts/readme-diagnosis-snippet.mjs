// The @skewguard/diagnosis README's "Diagnose an error you already have", as written, run from
// the fresh project that installed the packed packages (argv[2]) on real responses of a testkit
// S3 server whose clock is 20 minutes ahead: the README's `fetch(url, { headers })` sends a GET
// signed on this machine's clock, and `text` is another such refusal as `curl -i` prints it.
// Prints one line; throws if either diagnosis is not the clock.
import { DEFAULT_CREDENTIALS, startS3TestServer } from "../packages/testkit/dist/index.js";
import {
  expectAll,
  readmeProgram,
  runUserCode,
  s3RequestSignedLocally,
  s3ResponseToLocalClock,
} from "./readme-snippet-support.mjs";

const project = process.argv[2];
const server = await startS3TestServer({ clockOffsetMs: 20 * 60_000 });
const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0];

const userCode = readmeProgram("readme-diagnosis-snippet.mjs", {
  prelude: `
const { url, headers } = JSON.parse(process.env.S3_REQUEST);
const text = process.env.PASTED;
`,
  epilogue: `
console.log(JSON.stringify({
  status: res.status,
  code: d.evidence.find((e) => e.name === "code")?.value,
  cause: d.cause,
  confidence: d.confidence,
  summary: d.summary,
  evidence: d.evidence.map((e) => e.name),
  fixes: d.fixes.length,
  deadEnds: d.deadEnds,
  pastedCause: pasted?.diagnosis.cause,
  pastedShape: pasted?.failure.shape,
}));
`,
});

try {
  const credentials = { accessKeyId, secretAccessKey };
  const refused = await s3ResponseToLocalClock(server, credentials);
  const curlOutput = [
    `HTTP/1.1 ${refused.status} Forbidden`,
    ...Object.entries(refused.headers).map(([name, value]) => `${name}: ${value}`),
    "",
    refused.body,
  ].join("\r\n");
  const out = await runUserCode(project, "readme-diagnosis.mjs", userCode, {
    S3_REQUEST: JSON.stringify(s3RequestSignedLocally(server, credentials)),
    PASTED: curlOutput,
  });
  expectAll("diagnosis snippet", {
    [`the server refused with 403 (got ${out.status})`]: out.status === 403,
    [`the evidence names the code RequestTimeTooSkewed (got ${out.code})`]:
      out.code === "RequestTimeTooSkewed",
    [`cause is clock-behind (got ${out.cause})`]: out.cause === "clock-behind",
    "confidence is high": out.confidence === "high",
    "the summary says how far behind": /\d+m \d+s behind the server's/.test(out.summary),
    "the evidence names server and request times":
      out.evidence.includes("serverTime") && out.evidence.includes("requestTime"),
    "fixes are given": out.fixes > 0,
    "regenerating keys is a dead end": out.deadEnds.some((text) => /key/i.test(text)),
    [`the pasted curl -i output is clock-behind too (got ${out.pastedCause})`]:
      out.pastedCause === "clock-behind",
  });
  console.log(
    `${server.attempts} requests at the server (${out.status} ${out.code}); diagnoseResponse(): ${out.cause} (${out.confidence}), "${out.summary}", ${out.fixes} fixes, ${out.deadEnds.length} dead ends; diagnosePasted(curl -i): ${out.pastedCause} (${out.pastedShape})`,
  );
} finally {
  await server.close();
}
