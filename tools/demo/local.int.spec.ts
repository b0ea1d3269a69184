import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

/**
 * `npm start` is the README's first command: it must bring the whole system up on a fresh
 * data directory, print what a newcomer needs (curl commands that work, the console URL, every
 * port, a CLI profile), log to files, keep the edge serving when the control plane goes away,
 * refuse clearly when a port is taken, and come back up from the same directory.
 */
const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-demo-'));
const home = path.join(dir, 'home');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every launcher a test started: one still running after its test (a failed assertion) is stopped. */
const launched = new Set<ChildProcess>();
afterEach(async () => {
  const running = [...launched].filter((child) => child.exitCode === null && child.signalCode === null);
  launched.clear();
  await Promise.all(
    running.map((child) => {
      const exit = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      return exit;
    }),
  );
});

const demoPortsAt = (base: number) => [8080, 9090, 9443, 8443, 9901, 8000].map((p) => p + base);

/** A port offset under which the demo's six ports (8000 … 9901 + base) are all free now. */
async function freeBase(): Promise<number> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const server = net.createServer().once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const all = await Promise.all(demoPortsAt(base).map(free));
    if (all.every(Boolean)) return base;
  }
  throw new Error('no free port range for the demo');
}

/** Whether something accepts connections on 127.0.0.1:`port` now. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The test's environment: its own HOME (for the CLI profile) and no PORTCULLIS_* from outside. */
function demoEnv(base: number, dataDir = dir): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('PORTCULLIS_') && key !== 'XDG_CONFIG_HOME'),
  );
  return { ...inherited, HOME: home, PORTCULLIS_DEMO_DIR: dataDir, PORTCULLIS_DEMO_PORT_BASE: String(base) };
}

interface Demo {
  readonly child: ChildProcess;
  /** Everything the launcher wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves once the output contains `text`; rejects if the launcher exits first or after 60 s. */
  waitFor(text: string): Promise<void>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

function launch(base: number, dataDir = dir): Demo {
  const child = spawn(process.execPath, [path.join(root, 'tools/demo/local.ts')], {
    cwd: root,
    env: demoEnv(base, dataDir),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  launched.add(child);
  let output = '';
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of waiters) waiter();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    waitFor: (text) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!output.includes(text)) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => reject(new Error(`no "${text}" within 60 s:\n${output}`)), 60_000);
        waiters.add(check);
        void exited.then((code) => reject(new Error(`the demo exited (${code}) before "${text}":\n${output}`)));
        check();
      }),
  };
}

async function startDemo(base: number, dataDir = dir): Promise<Demo> {
  const demo = launch(base, dataDir);
  await demo.waitFor('demo ready');
  return demo;
}

async function stop(demo: Demo): Promise<number | null> {
  demo.child.kill('SIGTERM');
  return demo.exited;
}

/** Runs one of the printed curl commands (with -s -o /dev/null -w status) and returns the status. */
function runCurl(line: string): number {
  const args = line.trim().split(/\s+/).slice(1);
  return Number(execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', ...args], { encoding: 'utf8' }));
}

/** Waits (bounded) until `probe` returns a value, then returns it. */
async function eventually<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not happen within 30 s`);
}

const logLines = (name: string): Record<string, unknown>[] => {
  let text = '';
  try {
    text = readFileSync(path.join(dir, 'logs', `${name}.log`), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe('npm start (the local demo)', () => {
  it('serves the demo site, prints ports, console URL and a working CLI command, logs to files, survives the control plane, and restarts from its data under other ports', async () => {
    const base = await freeBase();
    const [http, grpc, discovery, edge] = demoPortsAt(base) as [number, number, number, number];
    const first = await startDemo(base);
    const output = first.output();
    expect(output).toContain('demo: starting the control plane');
    expect(output).toContain(`console        http://127.0.0.1:${http}/console/`);
    expect(output).toContain(`gRPC admin     127.0.0.1:${grpc}`);
    expect(output).toContain(`discovery (edges) 127.0.0.1:${discovery}`);
    expect(output).toContain(`https://127.0.0.1:${edge}`);
    expect(output).not.toContain('DEP0123');

    const curls = output.split('\n').filter((line) => line.trim().startsWith('curl '));
    expect(curls).toHaveLength(2);
    const [withCert, withoutCert] = curls as [string, string];
    expect(withCert).toContain('--cert');
    expect(runCurl(withCert)).toBe(200);
    expect(runCurl(withoutCert.replace(/#.*$/, ''))).toBe(403);

    // The access log has both requests; the control plane logs at info.
    const access = await eventually('two access-log lines', () => {
      const lines = logLines('access').filter((line) => line['host'] === 'api.example.com');
      return lines.some((line) => line['status'] === 403) ? lines : undefined;
    });
    expect(access.some((line) => line['status'] === 200 && (line['cert'] as { verify?: string }).verify === 'SUCCESS')).toBe(true);
    expect(logLines('control-plane').some((line) => line['level'] === 30)).toBe(true);
    expect(logLines('edge').every((line) => line['msg'] !== 'request')).toBe(true);

    // The printed CLI command works as printed, with the profile the launcher wrote (0600).
    const profile = path.join(home, '.config', 'portcullis', 'profile.json');
    expect(statSync(profile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(profile, 'utf8'))).toMatchObject({ url: `http://127.0.0.1:${http}` });
    const cliLine = output.split('\n').find((line) => line.trim().startsWith('npx portcullis certs list --site '))!;
    const cliArgs = cliLine.trim().split(/\s+/).slice(2);
    const listing = execFileSync(process.execPath, [path.join(root, 'apps/cli/src/main.ts'), ...cliArgs, '--output', 'json'], {
      cwd: root,
      env: demoEnv(base),
      encoding: 'utf8',
    });
    expect(listing).toContain('demo-device');

    // A WAF rule with the `log` action shows in the access log (it did nowhere at level warn).
    const apiKey = readFileSync(path.join(dir, 'demo', 'api-key'), 'utf8');
    const siteId = cliArgs[cliArgs.indexOf('--site') + 1]!;
    const created = await fetch(`http://127.0.0.1:${http}/v1/sites/${siteId}/waf-rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey.trim()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'log the probe path', expression: 'http.request.uri.path eq "/logged"', action: { type: 'log' } }),
    });
    expect(created.status).toBe(201);
    const ruleId = ((await created.json()) as { rule: { id: string } }).rule.id;
    const probe = withCert.replace(/\/$/, '/logged');
    const loggedLine = await eventually('the log rule in the access log', () => {
      expect(runCurl(probe)).toBe(200);
      return logLines('access').find((line) => line['path'] === '/logged' && (line['logged'] as string[] | undefined)?.includes(ruleId));
    });
    expect(loggedLine['status']).toBe(200);

    expect(await stop(first)).toBe(0);

    // Again from the same data, under other ports: the demo site follows the origin's new port.
    const secondBase = await freeBase();
    const secondAdmin = 9901 + secondBase;
    const second = await startDemo(secondBase);
    expect(readFileSync(path.join(dir, 'demo', 'api-key'), 'utf8')).toBe(apiKey);
    const [withCertAgain, withoutCertAgain] = second
      .output()
      .split('\n')
      .filter((line) => line.trim().startsWith('curl ')) as [string, string];
    expect(withCertAgain).toContain(`:${8443 + secondBase}/`);
    expect(runCurl(withCertAgain)).toBe(200);

    // Static stability: the control plane dies; the edge keeps serving, and the launcher says so.
    // The printed pid is the control plane's (checked with ps), so `kill` as printed stops it alone.
    const printedPid = Number(/stop the control plane alone \(kill (\d+)\)/.exec(second.output())?.[1]);
    const controlPlane = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(second.child.pid)], { encoding: 'utf8' })
      .split('\n')
      .find((line) => line.includes('apps/control-plane/src/main.ts'));
    expect(Number(controlPlane!.trim().split(/\s+/)[0])).toBe(printedPid);
    process.kill(printedPid, 'SIGKILL');
    await second.waitFor('demo: the control plane exited (signal SIGKILL');
    expect(second.output()).toContain('the edge and the demo origin keep running');
    await eventually('the edge to report the control plane lost', async () => {
      const status = (await (await fetch(`http://127.0.0.1:${secondAdmin}/status`)).json()) as { connected: boolean; ready: boolean };
      return status.connected === false ? status : undefined;
    }).then((status) => expect(status.ready).toBe(true));
    expect(runCurl(withCertAgain)).toBe(200);
    expect(runCurl(withoutCertAgain.replace(/#.*$/, ''))).toBe(403);
    expect(second.child.exitCode).toBeNull();
    expect(await stop(second)).toBe(0);
  });

  it('refuses to start when a port is taken, naming the port, before starting anything', async () => {
    const base = await freeBase();
    const discovery = 9443 + base;
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(discovery, '127.0.0.1', resolve));
    try {
      const demo = launch(base);
      expect(await demo.exited).toBe(1);
      expect(demo.output()).toContain(`demo: port ${discovery} (control plane discovery`);
      expect(demo.output()).toContain('already in use');
      expect(demo.output()).toContain('PORTCULLIS_DEMO_PORT_BASE');
      expect(demo.output()).not.toContain('demo: starting');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
  it("runs the README's shell walkthrough for a new site as written: 200 with the client certificate, 403 without", async () => {
    const base = await freeBase();
    const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-walkthrough-'));
    try {
      const demo = await startDemo(base, path.join(work, 'data'));
      const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
      const block = /A new site from the shell[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1];
      expect(block).toBeDefined();
      expect(block).toContain('waf-rules');
      const shifted = block!
        .replaceAll('8080', String(8080 + base))
        .replaceAll('8443', String(8443 + base))
        .replaceAll('8000', String(8000 + base));
      // "Give it a moment": the test waits for exactly the state the next lines assert — the
      // rule in force at the edge (403 without a certificate) — bounded to 20 s.
      const wait = `for i in $(seq 100); do [ "$(curl -s -o /dev/null -w '%{http_code}' $EDGE)" = 403 ] && break; sleep 0.2; done\n`;
      const script = shifted.replace(/^curl -s -o \/dev\/null .*--cert/m, (line) => `${wait}${line}`);
      expect(script).toContain(wait);
      const output = execFileSync('bash', ['-e', '-c', script], {
        cwd: work,
        env: demoEnv(base, path.join(work, 'data')),
        encoding: 'utf8',
      });
      const lines = output.trim().split('\n');
      expect(lines.slice(-3, -1)).toEqual(['200', '403']);
      expect(JSON.parse(lines.at(-1)!)).toMatchObject({ Hostnames: ['api.acme.test'] });
      expect(statSync(path.join(work, 'alice.key')).mode & 0o777).toBe(0o600);
      expect(await stop(demo)).toBe(0);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('stops every part it started when a step of the start fails, saying which', async () => {
    const base = await freeBase();
    const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-demo-broken-'));
    try {
      // A demo directory whose API key the control plane does not know: the site lookup fails.
      mkdirSync(path.join(work, 'demo'), { recursive: true });
      writeFileSync(path.join(work, 'demo', 'client.pem'), 'not used\n');
      writeFileSync(path.join(work, 'demo', 'api-key'), 'pk_not_a_key_of_this_control_plane\n');
      const demo = launch(base, work);
      expect(await demo.exited).toBe(1);
      expect(demo.output()).toContain('demo: GET /v1/sites?pageSize=100 answered 401');
      const listening = await Promise.all(demoPortsAt(base).map(accepts));
      expect(listening).toEqual(demoPortsAt(base).map(() => false));
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
