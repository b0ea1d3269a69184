#!/usr/bin/env node
import { run } from './run.ts';

/** `portcullis`: the operator's command line for a Portcullis control plane. */
process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  stderrIsTerminal: process.stderr.isTTY === true,
});
