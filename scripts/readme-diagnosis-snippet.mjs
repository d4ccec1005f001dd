// The @skewguard/diagnosis README's "Diagnose an error you already have", run from the fresh
// project (argv[2]) on a real response: a testkit S3 server whose clock is 20 minutes ahead
// answering a request signed on this machine's clock. Prints one line; throws if the
// diagnosis is not the clock.
import { DEFAULT_CREDENTIALS, startS3TestServer } from "../packages/testkit/dist/index.js";
import { expectAll, runUserCode, s3ResponseToLocalClock } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const server = await startS3TestServer({ clockOffsetMs: 20 * 60_000 });
try {
  const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0];
  const refused = await s3ResponseToLocalClock(server, { accessKeyId, secretAccessKey });

  const userCode = `
import { diagnoseResponse, diagnosisOf } from "@skewguard/diagnosis";

const res = JSON.parse(process.env.S3_RESPONSE);
const d = diagnoseResponse({
  provider: "s3",
  status: res.status,
  headers: res.headers,
  body: res.body,
  sentAt: res.sentAt,
  receivedAt: res.receivedAt,
});
console.log(JSON.stringify({
  code: d.evidence.find((e) => e.name === "code")?.value,
  diagnosisOf: typeof diagnosisOf,
  cause: d.cause,
  confidence: d.confidence,
  summary: d.summary,
  evidence: d.evidence.map((e) => e.name),
  fixes: d.fixes.length,
  deadEnds: d.deadEnds,
}));
`;
  const out = await runUserCode(project, "readme-diagnosis.mjs", userCode, {
    S3_RESPONSE: JSON.stringify(refused),
  });
  expectAll("diagnosis snippet", {
    [`the server refused with 403 (got ${refused.status})`]: refused.status === 403,
    [`the evidence names the code RequestTimeTooSkewed (got ${out.code})`]:
      out.code === "RequestTimeTooSkewed",
    "diagnosisOf is exported": out.diagnosisOf === "function",
    [`cause is clock-behind (got ${out.cause})`]: out.cause === "clock-behind",
    "confidence is high": out.confidence === "high",
    "the summary says how far behind": /\d+m \d+s behind the server's/.test(out.summary),
    "the evidence names server and request times":
      out.evidence.includes("serverTime") && out.evidence.includes("requestTime"),
    "fixes are given": out.fixes > 0,
    "regenerating keys is a dead end": out.deadEnds.some((text) => /key/i.test(text)),
  });
  console.log(
    `${server.attempts} request at the server (${refused.status} ${out.code}); diagnoseResponse(): ${out.cause} (${out.confidence}), "${out.summary}", ${out.fixes} fixes, ${out.deadEnds.length} dead ends`,
  );
} finally {
  await server.close();
}
