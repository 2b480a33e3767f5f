// Bad input gets one clear line, fast: each case runs the real CLI (`npx playwright test`), and
// must exit non-zero within 10 s with a message naming the cause and the fix, leaving nothing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../../fixtures/versions.ts';

const scratch = mkdtempSync(join(tmpdir(), 'spire-conformance-bad-input-'));
chmodSync(scratch, 0o777); // the non-root case runs as nobody
const unreachable = join(scratch, 'unreachable.kubeconfig');
writeFileSync(unreachable, `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`);
const garbage = join(scratch, 'garbage.kubeconfig');
writeFileSync(garbage, '{{{ this is not yaml');

interface Case {
  title: string;
  env: Record<string, string>;
  expect: RegExp;
  asUser?: number;
}

const cases: Case[] = [
  { title: 'an unknown CLUSTER', env: { CLUSTER: 'bogus' }, expect: /CLUSTER=bogus is not a cluster provider: use CLUSTER=local, CLUSTER=k3s or CLUSTER=kubeconfig/ },
  { title: 'a missing kubeconfig', env: { CLUSTER: 'kubeconfig', KUBECONFIG: join(scratch, 'absent') }, expect: /kubeconfig .*absent does not exist: set KUBECONFIG/ },
  { title: 'an unreadable kubeconfig', env: { CLUSTER: 'kubeconfig', KUBECONFIG: garbage }, expect: /is not a valid kubeconfig/ },
  { title: 'a context the kubeconfig lacks', env: { CLUSTER: 'kubeconfig', KUBECONFIG: unreachable, KUBE_CONTEXT: 'nope' }, expect: /KUBE_CONTEXT=nope is not in .* \(contexts: x\)/ },
  { title: 'an unreachable API server', env: { CLUSTER: 'kubeconfig', KUBECONFIG: unreachable }, expect: /the API server at https:\/\/127\.0\.0\.1:1 is unreachable \(.*\): is the cluster running/ },
  { title: 'k3s without a usable Docker', env: { CLUSTER: 'k3s', DOCKER_HOST: `unix://${join(scratch, 'no-docker.sock')}` }, expect: /CLUSTER=k3s needs a Docker engine, and none answers .*: start Docker, or use CLUSTER=local/ },
  { title: 'local without root', env: { CLUSTER: 'local' }, asUser: 65534, expect: /the local provider needs root .*: run as root, or use CLUSTER=k3s or CLUSTER=kubeconfig/ },
  { title: 'a SPIRE_NAMESPACE that cannot name a namespace', env: { CLUSTER: 'local', SPIRE_NAMESPACE: 'My_SPIRE' }, expect: /SPIRE_NAMESPACE=My_SPIRE cannot name the suite's namespace: it is not a DNS label/ },
  { title: 'a malformed KEEP', env: { CLUSTER: 'local', KEEP: 'yes please' }, expect: /KEEP=yes please is not understood: use KEEP=1/ },
];

/**
 * The unprivileged case runs as nobody, who may not be able to enter the clone at all (a clone
 * under /root or in a mktemp directory is mode 700): it gets a world-readable copy of what the CLI
 * loads, and a HOME and npm cache of its own, so only the provider's refusal is under test.
 */
function readableCopy(): string {
  const dir = join(scratch, 'readable-checkout');
  if (existsSync(dir)) return dir;
  const wanted = ['package.json', 'playwright.config.ts', 'tsconfig.json', 'versions.env', 'fixtures', 'reporter', 'specs', 'manifests', 'suite-images', 'node_modules'];
  for (const entry of wanted) cpSync(join(repoRoot, entry), join(dir, entry), { recursive: true, verbatimSymlinks: true });
  spawnSync('chmod', ['-R', 'a+rX', scratch]);
  return dir;
}

const runsOf = (root: string) => {
  const dir = join(root, 'reports', '.runs');
  mkdirSync(dir, { recursive: true });
  return () => readdirSync(dir).length;
};

describe('bad input', () => {
  after(() => rmSync(scratch, { recursive: true, force: true }));
  for (const [i, c] of cases.entries()) {
    it(`${c.title}: one line naming cause and fix, non-zero exit, under 10 s`, () => {
      const unprivileged = c.asUser !== undefined;
      const cwd = unprivileged ? readableCopy() : repoRoot;
      const runsNow = runsOf(cwd);
      if (unprivileged) spawnSync('chmod', ['-R', 'a+rwX', join(cwd, 'reports')]);
      const runsBefore = runsNow();
      const started = Date.now();
      // The copy's own Playwright, not npx: nobody must not need npm's cache or registry.
      const [command, args] = unprivileged ? [join(cwd, 'node_modules', '.bin', 'playwright'), ['test']] : ['npx', ['playwright', 'test']];
      const run = spawnSync(command, [...args, '--reporter=line', '--output', join(scratch, `out-${i}`), 'specs/cluster'], {
        cwd, encoding: 'utf8', timeout: 30_000,
        env: {
          ...process.env, CLUSTER: '', KUBECONFIG: '', KUBE_CONTEXT: '', KEEP: '',
          ...(unprivileged ? { HOME: scratch, npm_config_cache: join(scratch, 'npm-cache') } : {}),
          ...c.env,
        },
        ...(unprivileged ? { uid: c.asUser, gid: c.asUser } : {}),
      });
      const took = Date.now() - started;
      const output = `${run.stdout}${run.stderr}`.trim();
      assert.notEqual(run.status, 0, `expected a non-zero exit, output:\n${output}`);
      assert.match(output, c.expect);
      const errorLines = output.split('\n').filter((l) => /SetupError/.test(l));
      assert.equal(errorLines.length, 1, `expected exactly one error line, got:\n${output}`);
      assert.ok(took < 10_000, `took ${took} ms (limit 10 s)`);
      assert.equal(runsNow(), runsBefore, 'a failed setup must leave no run behind');
    });
  }
});
