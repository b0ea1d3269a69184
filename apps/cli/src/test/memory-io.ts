import { run, type Io } from '../run.ts';

export interface Captured {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in this process with captured output and the given environment only. */
export async function runInMemory(
  argv: readonly string[],
  env: Record<string, string | undefined> = {},
  options: { stderrIsTerminal?: boolean } = {},
): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io: Io = {
    env,
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    stderrIsTerminal: options.stderrIsTerminal ?? false,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}
