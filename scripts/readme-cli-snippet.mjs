// The @skewguard/cli README's `… | skewguard doctor error`, run with the `skewguard` bin the
// fresh project (argv[2]) installed: the error body comes from a testkit S3 server whose clock
// is 20 minutes ahead, answering a request signed on this machine's clock. Prints one line;
// throws if the command did not name the clock.
import { DEFAULT_CREDENTIALS, startS3TestServer } from "../packages/testkit/dist/index.js";
import { expectAll, runCommand, s3ResponseToLocalClock } from "./readme-snippet-support.mjs";

const project = process.argv[2];
const server = await startS3TestServer({ clockOffsetMs: 20 * 60_000 });
try {
  const [accessKeyId, secretAccessKey] = Object.entries(DEFAULT_CREDENTIALS)[0];
  const refused = await s3ResponseToLocalClock(server, { accessKeyId, secretAccessKey });
  // As a user runs it: npx finds the bin in the project's node_modules/.bin (`--no`: never
  // fetch a package of that name from the registry instead).
  const doctor = await runCommand("npx", ["--no", "--", "skewguard", "doctor", "error"], {
    cwd: project,
    input: refused.body,
    env: { NO_COLOR: "1" },
  });
  const help = await runCommand("npx", ["--no", "--", "skewguard", "--help"], { cwd: project });
  const summary = /^\s*(.*behind the server's.*)$/m.exec(doctor.stdout)?.[1];
  expectAll("cli snippet", {
    "the server refused with RequestTimeTooSkewed": /<Code>RequestTimeTooSkewed</.test(
      refused.body,
    ),
    [`doctor error exits 1 (got ${doctor.code}: ${doctor.stderr.trim()})`]: doctor.code === 1,
    "doctor error names clock-behind": /clock-behind/.test(doctor.stdout),
    "doctor error says how far behind": /\d+m \d+s behind the server's/.test(doctor.stdout),
    "doctor error prints the fixes and dead ends":
      /\nFixes\n/.test(doctor.stdout) && /\nDead ends/.test(doctor.stdout),
    [`--help exits 0 (got ${help.code})`]: help.code === 0,
    "--help lists doctor and skew":
      /\n {2}doctor\b/.test(help.stdout) && /\n {2}skew\b/.test(help.stdout),
  });
  console.log(
    `${server.attempts} request at the server (${refused.status} RequestTimeTooSkewed); \`npx skewguard doctor error\` < body: exit ${doctor.code}, clock-behind, "${summary}"; \`npx skewguard --help\`: exit ${help.code}`,
  );
} finally {
  await server.close();
}
