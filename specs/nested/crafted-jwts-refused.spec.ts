// Proves JWT validation refuses each crafted token for its one defect, at the agent (SPIRE's own
// `spire-agent api validate jwt`) and with jose against the bundle the workload received: alg none,
// HS256 keyed with the bundle's public key, an unknown kid, expired, not yet valid, an unknown
// critical header, and a subject of another trust domain. The tokens are signed by a key the
// validators trust (a trust domain of the suite's making, federated to workload-b through a probe
// entry), and a positive control signed the same way is accepted first: each refusal is about the
// defect, not the signer.
import { decodeJwt } from 'jose';
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { withCraftedTrustDomain } from '../../fixtures/spire/crafted-domain.ts';
import { serverBundle, validateJwtAtAgent } from '../../fixtures/spire-api/svids.ts';
import type { SpiffeBundle } from '../../fixtures/verify/bundle.ts';
import { craftedMatrix } from '../../fixtures/verify/crafted-jwts.ts';
import { verifyJwtSvid } from '../../fixtures/verify/jwt-svid.ts';

test.describe.configure({ lock: instanceLock });

test('crafted JWTs are each refused, by the agent and by jose, after a positive control signed the same way is accepted', async ({ cluster, nested }, testInfo) => {
  const { kube } = cluster;
  const validator = nested.workloads.b;
  const audience = 'spire-conformance-crafted';
  await withCraftedTrustDomain(kube, validator.server, validator, async (domain) => {
    const bundles: Record<string, SpiffeBundle> = {
      [domain.trustDomain]: domain.delivered,
      [nested.trustDomain]: await serverBundle(kube, validator.server),
    };
    // A relying party picks the bundle by the trust domain of the token's subject (W24).
    const joseVerdict = async (token: string) => {
      const sub = decodeJwt(token).sub ?? '';
      const bundle = bundles[new URL(sub).host];
      if (!bundle) return `refused: no bundle for ${sub}`;
      return verifyJwtSvid(token, bundle, audience).then(() => 'accepted', (e: Error) => `refused: ${e.name}: ${e.message}`);
    };
    const m = await craftedMatrix(domain.key, `spiffe://${domain.trustDomain}/workload`, nested.workloads.a.spiffeId, audience);

    await test.step('positive control: a valid token signed by the crafted key is accepted', async () => {
      const verdict = await validateJwtAtAgent(kube, validator, audience, m.control);
      expect(verdict.exitCode, `${validator.pod}'s agent refused the positive control, so its refusals below would prove nothing: ${verdict.stderr || verdict.stdout}`).toBe(0);
      expect(await joseVerdict(m.control)).toBe('accepted');
    });
    const rows: string[] = [];
    for (const t of m.refused) {
      await test.step(`refused: ${t.name} (${t.why})`, async () => {
        const agent = await validateJwtAtAgent(kube, validator, audience, t.token);
        const jose = await joseVerdict(t.token);
        rows.push(`${t.name}\n  agent: ${agent.exitCode === 0 ? 'ACCEPTED' : `refused: ${(agent.stderr || agent.stdout).trim().split('\n')[0]}`}\n  jose:  ${jose}`);
        expect.soft(agent.exitCode, `${validator.pod}'s agent accepted a token with ${t.name}: ${t.why}`).not.toBe(0);
        expect.soft(agent.stderr + agent.stdout, `${validator.pod}'s agent refused a token with ${t.name}, but for another reason`).toMatch(t.agentSays);
        expect.soft(jose, `jose's verdict on a token with ${t.name}`).toMatch(new RegExp(`^refused: ${t.joseError}:`));
      });
    }
    await testInfo.attach('verdicts per crafted token.txt', { body: rows.join('\n\n') });
  });
});
