#!/usr/bin/env node
import { run } from "./run.js";

// A reader that stops early (`skewguard --help | head`) is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// exitCode rather than exit(): lets stdout drain when it is a pipe.
process.exitCode = await run(process.argv);
