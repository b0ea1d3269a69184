#!/usr/bin/env node
import { run } from './run.ts';

// A reader that stops early (`portcullis certs list | head -1`) ends the CLI quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(process.exitCode ?? 0);
});

/** `portcullis`: the operator's command line for a Portcullis control plane. */
process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTerminal: process.stderr.isTTY === true,
});
