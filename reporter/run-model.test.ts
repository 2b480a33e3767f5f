import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { factTypes } from '../fixtures/report/facts.ts';
import { mergeTopologies } from '../fixtures/topology/model.ts';
import { buildRunModel, headline, verdictReason, type RequiredSpec, type TestRecord } from './run-model.ts';
import { renderResults, renderSummary } from './render-summary.ts';
import { topologySvg } from './render-svg.ts';

const spec = (title: string, project = 'nested'): RequiredSpec => ({ key: `${project} › ${project}/x.spec.ts › ${title}`, project, file: `${project}/x.spec.ts`, title });
const rec = (s: RequiredSpec, outcome: TestRecord['outcome'], cell = 'local', attachments: TestRecord['attachments'] = []): TestRecord =>
  ({ id: `${s.title}-${cell}`, key: s.key, project: s.project, file: s.file, title: s.title, cell, outcome, durationMs: 1000, errors: outcome === 'failed' ? ['Error: kids differ'] : [], attachments });

describe('the verdict', () => {
  const a = spec('a'); const b = spec('b');
  it('is CONFORMANT only when every required spec passed in every cell', () => {
    const m = buildRunModel([rec(a, 'passed'), rec(b, 'passed')], [a, b], []);
    assert.equal(m.verdict, 'CONFORMANT');
    assert.equal(verdictReason(m), 'all 2 required specs passed');
  });
  it('counts a skipped or unselected required spec against it, apart from failures', () => {
    const skipped = buildRunModel([rec(a, 'passed'), rec(b, 'skipped')], [a, b], []);
    assert.equal(skipped.verdict, 'NOT CONFORMANT');
    assert.deepEqual(skipped.counts, { passed: 1, failed: 0, skipped: 1, 'not run': 0, 'not checked': 0, 'known deviation': 0 });
    const narrowed = buildRunModel([rec(a, 'passed')], [a, b], []);
    assert.equal(narrowed.verdict, 'NOT CONFORMANT');
    assert.match(verdictReason(narrowed), /^1 not run of 2 required results/);
  });
  it('never counts a check that judged nothing as a pass: PARTLY CHECKED, each reason said', () => {
    const c = spec('c');
    const m = buildRunModel([rec(a, 'passed'), { ...rec(b, 'not checked'), notCheckedReason: 'one server, one replica: nothing to compare' }, { ...rec(c, 'not checked'), notCheckedReason: 'no federation relationship' }], [a, b, c], []);
    assert.equal(m.verdict, 'PARTLY CHECKED');
    assert.equal(headline(m), 'CONFORMANT on 1 of 3 checks (2 not checked)');
    assert.equal(verdictReason(m), '1 checks passed; not checked: b (one server, one replica: nothing to compare); c (no federation relationship)');
    assert.match(renderSummary(m), /## SPIRE conformance: CONFORMANT on 1 of 3 checks \(2 not checked\)/);
    assert.match(renderSummary(m), /➖ not checked \| local \| nested\/x\.spec\.ts › c \| no federation relationship/);
    assert.deepEqual((renderResults(m) as { notChecked: unknown }).notChecked, [{ title: 'b', reason: 'one server, one replica: nothing to compare' }, { title: 'c', reason: 'no federation relationship' }]);
    assert.equal(buildRunModel([rec(a, 'failed'), rec(b, 'not checked')], [a, b], []).verdict, 'NOT CONFORMANT');
  });
  it('lists a known deviation of SPIRE (a test.fail spec that failed) apart, without counting it against the deployment', () => {
    const m = buildRunModel([rec(a, 'passed'), { ...rec(b, 'known deviation'), errors: ['Error: example.org after nesteda-server revoked its JWT key k1 breaks 1 rule(s)'] }], [a, b], []);
    assert.equal(m.verdict, 'CONFORMANT');
    assert.equal(verdictReason(m), 'the 2 required specs passed but 1 known deviation(s) of SPIRE itself (listed apart)');
    assert.match(renderSummary(m), /🔷 known deviation \| local \| nested\/x\.spec\.ts › b \| Error: example\.org after nesteda-server revoked/);
  });
  it('needs every cell: a spec failing on one cluster fails the matrix', () => {
    const m = buildRunModel([rec(a, 'passed', 'kind'), rec(a, 'failed', 'k3s')], [a], []);
    assert.deepEqual(m.cells, ['k3s', 'kind']);
    assert.equal(m.verdict, 'NOT CONFORMANT');
    assert.equal(m.matrix[0]!.cells.k3s!.error, 'Error: kids differ');
  });
  it('is NOT RUN when setup stopped the run, with its error', () => {
    const m = buildRunModel([rec(a, 'not run'), rec(b, 'not run')], [a, b], ['SetupError: kubeconfig /x does not exist']);
    assert.equal(m.verdict, 'NOT RUN');
    assert.match(renderSummary(m), /kubeconfig \/x does not exist/);
  });
});

describe('the observed topology', () => {
  const server = (name: string, td: string, upstream?: string) => ({ id: `spire/${name}`, namespace: 'spire', name, trustDomain: td, caTtlSeconds: 3600, jwtKids: 2, x509Roots: 1, ...(upstream ? { upstreamServer: `spire/${upstream}` } : {}) });
  const topology = {
    servers: [server('root-server', 'example.org'), server('nesteda-server', 'example.org', 'root-server'), server('federated-server', 'auxiliary.org')],
    agents: [], oidcProviders: [],
    relationships: [{ holder: 'spire/federated-server', peerDomain: 'example.org', peer: 'spire/nesteda-server', url: 'https://nesteda-server.spire.svc:8443', profile: 'https_spiffe', source: 'api' as const, refreshHintSeconds: 60 }],
  };
  it('merges fragments from several tests and overlays the judged verdicts', () => {
    const a = spec('a');
    const attach = (kind: keyof typeof factTypes, body: unknown) => ({ name: kind, contentType: factTypes[kind], body: JSON.stringify(body) });
    const m = buildRunModel([
      rec(a, 'passed', 'local', [attach('topology', { ...topology, servers: topology.servers.slice(0, 2) })]),
      rec(spec('b'), 'passed', 'local', [attach('topology', topology), attach('verdicts', [{ holder: 'spire/federated-server', peerDomain: 'example.org', verdict: 'stale', reason: 'kid k2 missing' }])]),
    ], [a, spec('b')], []);
    assert.deepEqual(m.topology.servers.map((s) => s.name), ['federated-server', 'nesteda-server', 'root-server']);
    assert.deepEqual(m.topology.relationships[0]!.verdict, { verdict: 'stale', reason: 'kid k2 missing' });
    const svg = topologySvg(m.topology);
    for (const s of topology.servers) assert.match(svg, new RegExp(`data-id="spire/${s.name}"`));
    assert.match(svg, /example.org → federated-server: refresh_hint 1m · stale/);
  });
});

describe('topology fragments', () => {
  it('keep what any fragment resolved: a later, partial observation does not erase an agent\'s server', () => {
    const agent = { id: 'spire/nestedc-agent', namespace: 'spire', name: 'nestedc-agent', trustDomain: 'example.org', serverAddress: 'nestedc-server.spire.svc', pods: 1 };
    const merged = mergeTopologies([
      { servers: [], agents: [{ ...agent, server: 'spire/nestedc-server' }], oidcProviders: [], relationships: [] },
      { servers: [], agents: [agent], oidcProviders: [], relationships: [] },
    ]);
    assert.equal(merged.agents[0]!.server, 'spire/nestedc-server');
  });
});
