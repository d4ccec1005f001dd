import {
  type Provider,
  type SkewguardError,
  isSkewguardError,
  redactString,
} from "@skewguard/diagnosis";
import { DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS } from "@skewguard/diagnosis/adapter";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { doctorError } from "./doctor-error.js";
import { doctorUrl } from "./doctor-url.js";
import { type CliIo, processIo } from "./io.js";
import { type Printer, createPrinter, terminalSafe } from "./output.js";
import { skew } from "./skew.js";
import { EXIT, type ExitCode, UsageError } from "./usage-error.js";

/** Kept in step with package.json (run.test.ts checks). */
export const VERSION = "0.1.0";

const DEFAULT_TIMEOUT_MS = 5_000;

/** Options every command takes (declared once, on the program). */
interface GlobalOptions {
  json: boolean;
  color: boolean;
}

type Action = (printer: Printer, io: CliIo) => Promise<ExitCode>;
/** Runs a command's action with a printer set up from the global options, keeping its exit code. */
type Execute = (command: Command, action: Action) => Promise<void>;

/**
 * Runs the `skewguard` command line. `argv` is `process.argv`-shaped (node, script, ...args).
 * Resolves to the exit code: 0 healthy, 1 a problem found, 2 a usage error. Never throws.
 */
export async function run(
  argv: readonly string[],
  overrides: Partial<CliIo> = {},
): Promise<number> {
  const io: CliIo = { ...processIo(), ...overrides };
  let exitCode: number = EXIT.healthy;
  const execute: Execute = async (command, action) => {
    const globals = command.optsWithGlobals<GlobalOptions>();
    exitCode = await action(createPrinter(io, { color: globals.color }), io);
  };
  const program = buildProgram(io, execute);
  try {
    await program.parseAsync([...argv], { from: "node" });
    return exitCode;
  } catch (error) {
    return failure(error, io);
  }
}

function failure(error: unknown, io: CliIo): number {
  const say = (text: string) => io.stderr.write(`${terminalSafe(redactString(text), false)}\n`);
  if (error instanceof CommanderError) {
    // Commander has printed its message (or the help) already.
    return error.exitCode === 0 ? EXIT.healthy : EXIT.usage;
  }
  // The core refuses input it cannot read (not a signed URL) with this code: the caller's fault.
  if (error instanceof UsageError || isUsageCode(error)) {
    say(`skewguard: ${error.message}`);
    say("Run `skewguard --help` for usage and examples.");
    return EXIT.usage;
  }
  say(`skewguard: unexpected failure: ${error instanceof Error ? error.message : String(error)}`);
  return EXIT.problem;
}

function isUsageCode(error: unknown): error is SkewguardError {
  return isSkewguardError(error) && error.code === "SKEWGUARD_INVALID_INPUT";
}

function buildProgram(io: CliIo, execute: Execute): Command {
  const program = new Command("skewguard");
  // Set before the subcommands are added: they inherit both.
  program.exitOverride();
  program.configureOutput({
    // Help is static text; error messages may quote an argument, and an argument may be a URL.
    writeOut: (text) => io.stdout.write(text),
    writeErr: (text) => io.stderr.write(terminalSafe(redactString(text), false)),
  });
  program.configureHelp({ showGlobalOptions: true });
  program
    .description(
      "Why did a signed storage request fail? Checks signed URLs, explains S3, GCS and Azure errors, and measures how far this machine's clock is from a server's.",
    )
    .version(VERSION, "-V, --version")
    .option("--json", "machine-readable output on stdout", false)
    .option("--no-color", "no colours (also when NO_COLOR is set, or stdout is not a terminal)")
    .showHelpAfterError("(run with --help for usage and examples)")
    .addHelpText("after", PROGRAM_EXAMPLES);

  const doctor = program
    .command("doctor")
    .description("diagnose a signed URL or an error response")
    .addHelpText("after", DOCTOR_EXAMPLES);
  addDoctorUrl(doctor, execute);
  addDoctorError(doctor, execute);
  addSkew(program, execute);
  return program;
}

function addDoctorUrl(doctor: Command, execute: Execute): void {
  doctor
    .command("url")
    .description(
      "check an S3 presigned, GCS signed or Azure SAS URL: who signed it, when, until when, and whether it works now by this clock and by the server's",
    )
    .argument("<signed-url>", "the URL, quoted (it contains &)")
    .option(
      "-n, --samples <count>",
      "HEAD requests to the URL's origin to read the server's clock",
      count(20),
      4,
    )
    .option("--no-measure", "do not contact the server; judge by this machine's clock only")
    .option("--timeout <ms>", "per-request timeout", milliseconds, DEFAULT_TIMEOUT_MS)
    .addHelpText("after", URL_HELP)
    .action(
      async (
        url: string,
        options: { samples: number; measure: boolean; timeout: number },
        command: Command,
      ) => {
        await execute(command, (printer, io) =>
          doctorUrl(
            url,
            {
              json: jsonOf(command),
              samples: options.measure ? options.samples : 0,
              timeoutMs: options.timeout,
            },
            io,
            printer,
          ),
        );
      },
    );
}

function addDoctorError(doctor: Command, execute: Execute): void {
  doctor
    .command("error")
    .description(
      "explain an S3, GCS or Azure error: the cause, its evidence, the fixes and the dead ends",
    )
    .argument("[file]", "a file holding the error; - or nothing reads standard input")
    .addOption(
      new Option("--provider <name>", "force the provider instead of detecting it").choices([
        "s3",
        "gcs",
        "azure",
      ]),
    )
    .option(
      "--check-clock [endpoint]",
      "measure this machine's clock against the endpoint the input names (or the one given), as `skew` does, and fold it into the verdict (network)",
    )
    .option("-n, --samples <count>", "HEAD requests for --check-clock", count(20), 4)
    .option(
      "--timeout <ms>",
      "per-request timeout for --check-clock",
      milliseconds,
      DEFAULT_TIMEOUT_MS,
    )
    .addHelpText("after", ERROR_HELP)
    .action(
      async (
        file: string | undefined,
        options: {
          provider?: Provider;
          checkClock?: boolean | string;
          samples: number;
          timeout: number;
        },
        command: Command,
      ) => {
        const { provider, checkClock } = options;
        await execute(command, (printer, io) =>
          doctorError(
            file,
            {
              json: jsonOf(command),
              ...(provider ? { provider } : {}),
              ...(checkClock ? { checkClock } : {}),
              samples: options.samples,
              timeoutMs: options.timeout,
            },
            io,
            printer,
          ),
        );
      },
    );
}

function addSkew(program: Command, execute: Execute): void {
  program
    .command("skew")
    .description(
      "measure this machine's clock offset to an endpoint, and what it means for S3, GCS and Azure",
    )
    .argument(
      "<url>",
      "an endpoint URL or host name (https assumed); only its origin and path are requested",
    )
    .option(
      "-n, --samples <count>",
      "HEAD requests (each one halves the uncertainty)",
      count(64),
      8,
    )
    .addOption(
      new Option("--max-skew <seconds>", "offsets at or beyond this exit 1")
        .argParser(seconds)
        .default(
          DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS,
          String(DEFAULT_POSSIBLE_SKEW_THRESHOLD_MS / 1000),
        ),
    )
    .option("--timeout <ms>", "per-request timeout", milliseconds, DEFAULT_TIMEOUT_MS)
    .addHelpText("after", SKEW_HELP)
    .action(
      async (
        url: string,
        options: { samples: number; maxSkew: number; timeout: number },
        command: Command,
      ) => {
        await execute(command, (printer, io) =>
          skew(
            url,
            {
              json: jsonOf(command),
              samples: options.samples,
              timeoutMs: options.timeout,
              toleranceMs: options.maxSkew,
            },
            io,
            printer,
          ),
        );
      },
    );
}

function jsonOf(command: Command): boolean {
  return command.optsWithGlobals<GlobalOptions>().json === true;
}

function count(max: number): (value: string) => number {
  return (value) => {
    const n = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN;
    if (!(n >= 1 && n <= max))
      throw new InvalidArgumentError(`expected a whole number from 1 to ${max}.`);
    return n;
  };
}

function milliseconds(value: string): number {
  const n = /^\d{1,7}$/.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 1)) throw new InvalidArgumentError("expected a number of milliseconds.");
  return n;
}

/** Read as seconds (people think in seconds), kept as ms. */
function seconds(value: string): number {
  const n = /^\d+(\.\d+)?$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isFinite(n)) throw new InvalidArgumentError("expected a number of seconds.");
  return n * 1000;
}

const PROGRAM_EXAMPLES = `
Exit codes: 0 healthy, 1 a problem was found, 2 usage error.

Examples:
  # Is this presigned URL still good, by the server's clock?
  $ skewguard doctor url 'https://bucket.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&...'

  # Why did this request fail? Paste the body, or pipe curl -i output
  $ curl -si "$URL" | skewguard doctor error -
  $ skewguard doctor error error.xml

  # How far is this machine's clock from S3's?
  $ skewguard skew s3.eu-west-1.amazonaws.com

Signatures, SAS sig values, tokens and keys are never printed, in any output.`;

const DOCTOR_EXAMPLES = `
Examples:
  $ skewguard doctor url "$PRESIGNED_URL"
  $ skewguard doctor error response.xml --json`;

const URL_HELP = `
Reads the URL's own fields (algorithm, credential scope or account, region, signing time,
expiry), reads the server's clock from the Date headers of a few HEAD requests to the URL's
origin (never the URL itself: the signature is not sent anywhere), and says whether the URL
works by each clock. "expired-by-server-clock" means the URL is fine by this machine's clock
but the server, whose clock counts, already refuses it: this clock is behind.

Verdicts: valid, expired, not-yet-valid, expired-by-server-clock,
not-yet-valid-by-server-clock, valid-by-server-clock, malformed.
Exit 0 when the server accepts the URL's times, 1 otherwise.

Examples:
  $ skewguard doctor url 'https://my-bucket.s3.us-east-1.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&...'
  $ skewguard doctor url 'https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&...' --json
  $ skewguard doctor url 'https://acct.blob.core.windows.net/c/b?sv=2024-08-04&se=...&sig=...' --no-measure`;

const ERROR_HELP = `
Accepts the failure as you have it, from standard input or a file:
  - an error body: S3/GCS/S3-compatible XML (<Error><Code>...), AWS query/EC2 XML, AWS JSON
    ({"__type":...}), Azure XML (AuthenticationErrorDetail), GCS JSON, Google OAuth JSON
  - an HTTP exchange: curl -i or curl -v output (with the $ curl line before it), a wire dump
  - an SDK error as printed: AWS SDK for JavaScript v2/v3 (console.log or JSON), botocore
    ClientError and tracebacks, the AWS CLI (also --debug logs), Go, Java and .NET errors and
    debug logs, Azure RestError / RequestFailedException / Python errors, Storage Explorer and
    AzCopy messages, Google auth errors in any language, gcloud/gsutil, mc, s3cmd
  - a log line with the error inside, or a one-line AWS message such as
    "Signature expired: 20231020T101500Z is now earlier than ... (20231020T103001Z - 5 min.)"
Debug logs that show the canonical request and string to sign are compared with the server's;
log timestamps tell a skewed clock from a request sent long after it was signed.

Causes: clock-behind, clock-ahead, signed-too-early, server-clock-wrong, presigned-expired,
presigned-not-yet-valid, presigned-expiry-too-long, secret-key-mismatch,
temporary-credentials-expired, session-token-missing, access-key-disabled,
credential-scope-mismatch, algorithm-mismatch, request-changed, jwt-clock-skew, unknown.
An uncertain answer lists the causes not ruled out, each with the check that confirms it.
--check-clock contacts the endpoint the input names (HEAD requests, never the signed URL
itself) and folds the measured offset into the verdict.
Exit 1 when an error was read, 2 when none could be.
Reads at most 1 MiB of the input (an error body is a few KiB) and says so on stderr when it
stops there. Control characters and escape sequences in the input are shown, never sent.

Examples:
  $ skewguard doctor error body.xml
  $ curl -sv "$URL" 2>&1 | skewguard doctor error -
  $ aws s3 cp s3://b/k . --debug 2>&1 | skewguard doctor error --check-clock
  $ pbpaste | skewguard doctor error --provider azure --json`;

const SKEW_HELP = `
Each HEAD answer's Date header bounds the offset (the server stamped it between send and
receive, truncated to the second); the bounds of successive answers are intersected, and each
request is timed to land on the server's second boundary, so 8 requests reach a few
milliseconds plus the round trip. Prints offset ± bound and what it means for S3 and GCS
(SigV4, ±15 min), Azure Shared Key signatures (±15 min) and SAS (st/se, no allowance), presigned URLs,
and GCS service-account grants (JWT iat/exp, a few minutes).

Exit 0 when the offset is under --max-skew (default 60 s), 1 otherwise or when no Date
header could be read (the host name did not resolve, the endpoint did not answer, or its
answers had no usable Date: the report, and --json's "failure", say which).

Examples:
  $ skewguard skew s3.amazonaws.com
  $ skewguard skew https://storage.googleapis.com -n 12
  $ skewguard skew https://acct.blob.core.windows.net --json --max-skew 5`;
