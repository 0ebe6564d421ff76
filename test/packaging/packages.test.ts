/**
 * Packages a stranger can install: the packages are built (tsdown) and packed (npm pack), and the
 * tarballs are installed into an app in the OS temp dir, outside the repository. The app then loads
 * every entry point in plain Node (ESM and CJS), starts every bin, type-checks its code against the
 * packed types under nodenext and bundler with strict on and off, builds a React page with Vite, and
 * runs the README's MSW test file and Node sample verbatim. publint and attw check each tarball.
 * Entry points and bins are read from the manifests, so new ones are covered without edits here.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPackages,
  createConsumerApp,
  installTarballs,
  hasRequire,
  type PackedPackage,
  packPackages,
  TSC_VARIANTS,
} from './consumer-app';
import { exec, oneJobPerCore, run, type RunResult, start } from './run';
import { peersOf, promisedFiles, type PublishedPackage, publishedPackages, REPO_ROOT } from './workspace';

const packages = publishedPackages();
let workDir = '';
let appDir = '';
let packed: PackedPackage[] = [];
let nodeClientSample = '';
/** publint and attw run while npm installs the app; each test reads its outcome. */
let lintRuns: Map<string, { publint: Promise<Outcome>; attw: Promise<Outcome> }>;

type Outcome = { ok: true; output: string } | { ok: false; output: string };
const outcome = (promise: Promise<RunResult>): Promise<Outcome> =>
  promise.then(
    ({ stdout, stderr }) => ({ ok: true, output: `${stdout}${stderr}` }),
    (error: Error) => ({ ok: false, output: error.message }),
  );

const peers = peersOf(packages);
const heavy = oneJobPerCore();

/** tsc's errors as `file(line,col): error TSnnnn`, one per error. */
async function typeErrors(project: string): Promise<string[]> {
  const tsc = join(appDir, 'node_modules/typescript/bin/tsc');
  const { code, stdout, stderr } = await heavy(() =>
    exec(process.execPath, [tsc, '-p', project], { cwd: appDir, timeoutMs: 300_000 }),
  );
  const errors = [...stdout.matchAll(/^(\S.*?\(\d+,\d+\): error TS\d+)/gm)].map((m) => m[1] as string);
  if (code !== 0 && errors.length === 0)
    throw new Error(`tsc -p ${project} failed (${code}):\n${stdout}${stderr}`);
  return errors;
}

const bin = (name: string) => join(appDir, 'node_modules/.bin', name);
const node = (script: string, args: readonly string[], timeoutMs?: number) =>
  run(process.execPath, [join(appDir, script), ...args], {
    cwd: appDir,
    ...(timeoutMs ? { timeoutMs } : {}),
  });

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'taskbridge-packaging-'));
  appDir = join(workDir, 'app');
  // The app installs its own tools while the packages build; the tarballs go in after.
  const app = createConsumerApp(appDir, packages);
  app.catch(() => undefined); // awaited below; a build failure must not leave it unhandled
  await buildPackages();
  packed = await packPackages(packages, workDir);
  const tool = (path: string) => join(REPO_ROOT, 'node_modules', path);
  const lint = ([script, ...args]: string[]) =>
    outcome(run(process.execPath, [tool(script as string), ...args], { cwd: workDir }));
  lintRuns = new Map(
    packed.map((p) => {
      const pkg = packages.find((candidate) => candidate.name === p.name) as PublishedPackage;
      // Entries without a CJS build (browser-only) are checked with attw's ESM-only profile.
      const esmOnly = pkg.entryPoints.filter((e) => !hasRequire(pkg, e.subpath)).map((e) => e.subpath);
      const attw = (...args: string[]) =>
        lint(['@arethetypeswrong/cli/dist/index.js', p.tarball, '--format', 'ascii', ...args]);
      const runs = [
        attw('--profile', 'node16', ...(esmOnly.length ? ['--exclude-entrypoints', ...esmOnly] : [])),
      ];
      if (esmOnly.length) runs.push(attw('--profile', 'esm-only', '--entrypoints', ...esmOnly));
      return [
        p.name,
        {
          publint: lint(['publint/src/cli.js', 'run', p.tarball, '--strict']),
          attw: Promise.all(runs).then((outcomes) => ({
            ok: outcomes.every((o) => o.ok),
            output: outcomes.map((o) => o.output).join('\n'),
          })),
        },
      ];
    }),
  );
  ({ nodeClientSample } = await app);
  await installTarballs(appDir, packages, packed);
}, 480_000);

afterAll(async () => {
  // Settle the lint runs before deleting what they read.
  await Promise.all([...(lintRuns?.values() ?? [])].flatMap((r) => [r.publint, r.attw]));
  if (workDir && !process.env.KEEP_PACKAGING_APP) await rm(workDir, { recursive: true, force: true });
});

// Generous: the heavy steps queue for a core (see oneJobPerCore), so a test's time includes its wait.
describe.concurrent('the packed packages', { timeout: 600_000 }, () => {
  it('are every published workspace, each with entry points', () => {
    expect(packed.map((p) => p.name).sort()).toEqual(packages.map((p) => p.name).sort());
    for (const p of packages) expect(p.entryPoints.length, p.name).toBeGreaterThan(0);
  });

  it('hold only dist/, README.md, LICENSE and package.json: no tests, no sources', () => {
    const license = readFileSync(join(REPO_ROOT, 'LICENSE'), 'utf8');
    for (const p of packed) {
      const stray = p.files.filter(
        (file) =>
          !/^(package\.json|README\.md|LICENSE|dist\/.+)$/.test(file) ||
          /\.(test|spec)\.|__tests__/.test(file),
      );
      expect(stray, p.name).toEqual([]);
      const typeScriptSources = p.files.filter(
        (file) => /\.(ts|tsx|mts|cts)$/.test(file) && !/\.d\.c?ts$/.test(file),
      );
      expect(typeScriptSources, p.name).toEqual([]);
      expect(p.files, p.name).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json']));
      const folder = packages.find((pkg) => pkg.name === p.name)?.folder as string;
      expect(readFileSync(join(REPO_ROOT, folder, 'LICENSE'), 'utf8'), `${p.name} LICENSE`).toBe(license);
    }
  });

  it('ship every file their manifest names (exports, main, types, bin): the build and the manifest agree', () => {
    for (const p of packages) {
      const files = new Set(packed.find((t) => t.name === p.name)?.files);
      const missing = promisedFiles(p.manifest).filter((file) => !files.has(file));
      expect(missing, `${p.name}: named in package.json but not built`).toEqual([]);
      for (const entry of p.entryPoints) {
        const target = p.manifest.exports?.[entry.subpath] as Record<string, unknown>;
        expect(Object.keys(target)[0], `${entry.specifier}: the source condition comes first`).toBe(
          '@taskbridge/source',
        );
        // Types first within each condition, so TypeScript never picks a JavaScript file.
        for (const format of ['import', 'require'] as const) {
          const conditions = target[format] as Record<string, string> | undefined;
          if (conditions)
            expect(Object.keys(conditions), `${entry.specifier} ${format}`).toEqual(['types', 'default']);
        }
      }
      expect(p.manifest.sideEffects, p.name).toBe(false);
      expect(p.manifest.files, p.name).toEqual(['dist', 'README.md', 'LICENSE']);
    }
  });

  for (const p of packages) {
    it(`${p.name}: publint finds nothing (strict) and attw finds no problem (node16 profile)`, async () => {
      const lint = lintRuns.get(p.name);
      const [publint, attw] = await Promise.all([lint?.publint, lint?.attw]);
      expect(publint?.ok, publint?.output).toBe(true);
      expect(publint?.output).not.toMatch(/Errors?:|Warnings?:/);
      expect(attw?.ok, attw?.output).toBe(true);
      const problems = attw?.output
        .split('\n')
        .filter((line) => line.includes('💀') && !line.includes('ignored'));
      expect(problems, attw?.output).toEqual([]);
    });
  }

  it('install from the tarballs: one copy of each, with no @types the app did not choose', async () => {
    const lock = JSON.parse(readFileSync(join(appDir, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { resolved?: string }>;
    };
    for (const p of packed) {
      const copies = Object.entries(lock.packages).filter(([path]) =>
        path.endsWith(`node_modules/${p.name}`),
      );
      // npm records the tarball relative to the app.
      expect(copies.map(([path, entry]) => [path, entry.resolved])).toEqual([
        [`node_modules/${p.name}`, `file:../${basename(p.tarball)}`],
      ]);
    }
    const app = JSON.parse(readFileSync(join(appDir, 'package.json'), 'utf8')) as Record<
      string,
      Record<string, string>
    >;
    const chosenTypes = Object.keys({ ...app.dependencies, ...app.devDependencies }).filter((n) =>
      n.startsWith('@types/'),
    );
    // React's (a React app) and ws's (the README's Node sample imports ws); nothing for our packages.
    expect(chosenTypes.sort()).toEqual(['@types/react', '@types/react-dom', '@types/ws']);
  });

  it('load in plain Node: import() and require() of every entry point give the same exports', async () => {
    const { stdout } = await node('load-every-entry.mjs', []);
    const loaded = JSON.parse(stdout) as Record<
      string,
      { esm: string[] | { error: string }; cjs: string[] | { error: string } | null }
    >;
    for (const p of packages) {
      for (const entry of p.entryPoints) {
        const result = loaded[entry.specifier];
        expect(Array.isArray(result?.esm) ? 'ok' : result?.esm, `import('${entry.specifier}')`).toBe('ok');
        expect((result?.esm as string[]).length, entry.specifier).toBeGreaterThan(0);
        if (hasRequire(p, entry.subpath))
          expect(result?.cjs, `require('${entry.specifier}')`).toEqual(result?.esm);
      }
    }
  });

  it('start every bin: --help works, bad input is one line, a server answers /health on --port 0 and PORT=0', async () => {
    for (const name of packages.flatMap((p) => p.bins)) {
      const help = await run(bin(name), ['--help'], { cwd: appDir });
      expect(help.stdout, name).toMatch(/^Usage: /);
      const bad = await run(bin(name), ['--no-such-option'], { cwd: appDir }).then(
        () => 'exited 0',
        (error: Error) => error.message,
      );
      expect(bad, `${name} --no-such-option`).toMatch(/failed[\s\S]*no-such-option/);
      expect(bad, `${name}: no stack trace`).not.toMatch(/^\s+at /m);
      if (!help.stdout.includes('--port')) continue; // not a server (e.g. a worker needs Redis)
      const starts: { args: string[]; env: Record<string, string> }[] = [
        { args: ['--auth', 'demo', '--port', '0'], env: {} },
        { args: [], env: { PORT: '0', TASKBRIDGE_AUTH: 'demo' } },
      ];
      for (const how of starts) {
        const server = start(bin(name), [...how.args, '--quiet'], { cwd: appDir, env: how.env });
        try {
          const [, url] = await server.waitFor(/listening on (http:\/\/\S+)/);
          const response = await fetch(`${url}/health`);
          expect(response.status, name).toBe(200);
          expect(await response.json()).toEqual({ status: 'ok' });
        } finally {
          expect(await server.stop(), `${name} exits cleanly on SIGTERM`).toBe(0);
        }
      }
    }
  });

  it('build a React page with useTask (the README sample) with Vite', async () => {
    await heavy(() =>
      run(process.execPath, [join(appDir, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], {
        cwd: appDir,
      }),
    );
    const assets = join(appDir, 'dist/assets');
    const scripts = readdirSync(assets).filter((file) => file.endsWith('.js'));
    const bundle = scripts.map((file) => readFileSync(join(assets, file), 'utf8')).join('\n');
    expect(existsSync(join(appDir, 'dist/index.html'))).toBe(true);
    expect(bundle).toContain('SUBSCRIPTION_CONFIRMED'); // the client's WebSocket transport
    expect(bundle).not.toMatch(/express|multer/); // nothing of the server reached the page
  });

  it("run the README's MSW test file with vitest", async () => {
    const { stdout } = await heavy(() =>
      run(process.execPath, [join(appDir, 'node_modules/vitest/vitest.mjs'), 'run'], { cwd: appDir }),
    );
    expect(stdout).toMatch(/Tests\s+2 passed/);
  });

  it("run the README's Node sample against the packed server bin", async () => {
    const server = start(bin('taskbridge-server'), ['--auth', 'demo', '--port', '0', '--quiet'], {
      cwd: appDir,
    });
    try {
      const [, url] = await server.waitFor(/listening on (http:\/\/\S+)/);
      expect(nodeClientSample).toContain("'http://localhost:8787'");
      await writeFile(
        join(appDir, 'node-client.mjs'),
        nodeClientSample.replace("'http://localhost:8787'", `'${url}'`),
      );
      const { stdout } = await node('node-client.mjs', [], 60_000);
      expect(stdout).toMatch(/^TASK_STARTED /m);
      expect(stdout).toMatch(/^TASK_COMPLETED /m);
      expect(stdout).toMatch(/^websocket live$/m);
      expect(stdout).toMatch(/^completed \{/m);
    } finally {
      await server.stop();
    }
  });

  for (const variant of Object.keys(TSC_VARIANTS)) {
    it(`type-check the app's code against the packed types: ${variant}`, async () => {
      const errors = await typeErrors(`tsconfig.${variant}.json`);
      const inPeers = (error: string) => peers.some((peer) => error.startsWith(`node_modules/${peer}/`));
      expect(
        errors.filter((error) => !inPeers(error)),
        'errors in our types or the app',
      ).toEqual([]);
      if (errors.length === 0) return;
      // What is left is inside a peer's own declarations: an app that imports that peer directly, with
      // none of our packages, must get the very same errors.
      const baseline = new Set(await typeErrors(`tsconfig.${variant}.peers.json`));
      expect(
        errors.filter((error) => !baseline.has(error)),
        'peer errors our types cause',
      ).toEqual([]);
    });
  }
});
