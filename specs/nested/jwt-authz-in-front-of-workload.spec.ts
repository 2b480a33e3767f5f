// The seed's Emissary sample as a promise: an authorization service beside workload-a, called as
// Envoy's HTTP ext_authz filter calls it, lets through a JWT-SVID for its audience from an allowed
// workload (through nestedA and through nestedB) and refuses a wrong audience, an expired token, a
// token from a trust domain it has no bundle for, an identity it does not allow and a request with
// no token, each for its own reason. The service is jwt-authz, the suite's own stand-in for Emissary
// (suite-images/jwt-authz: go-spiffe's JWTSource and jwtsvid.ParseAndValidate, as Emissary validates),
// since Emissary's module is not served here. The expired and not-allowed tokens are signed by a
// trust domain of the suite's making that the service trusts (its bundle set at nestedA-server, the
// service's entry federating with it), and a valid token of that domain is let through first, so
// each refusal is about the one thing wrong with its token.
import { test, expect, instanceLock } from '../../fixtures/index.ts';
import { spireServer } from '../../fixtures/spire-api/cli.ts';
import { fetchJwtSvid } from '../../fixtures/spire-api/svids.ts';
import { withJwtAuthz } from '../../fixtures/workload-api/jwt-authz.ts';
import { withRegistration } from '../../fixtures/workload-api/registered-caller.ts';
import { authzViolations, decisionTable, type AuthzCase, type Decision } from '../../fixtures/verify/authz-decisions.ts';
import { craftingKey, signEs256 } from '../../fixtures/verify/crafted-jwts.ts';
import { agentSyncBoundSeconds } from '../../fixtures/verify/propagation.ts';

test.describe.configure({ lock: instanceLock });

test('an authorization service in front of workload-a lets allowed JWT-SVIDs through and refuses each bad one for its reason', async ({ cluster, nested }, testInfo) => {
  const { kube } = cluster;
  const server = nested.servers.nestedA;
  const audience = 'payments.spire-conformance.test';
  const crafted = 'crafted.spire-conformance.test';
  const { key, jwk } = await craftingKey(`authz-${Date.now()}`);
  const craftedAllowed = `spiffe://${crafted}/allowed-client`;
  const sign = (sub: string, exp: number, signer = key) => signEs256({ alg: 'ES256', kid: signer.kid, typ: 'JWT' }, { sub, aud: [audience], exp, iat: exp - 300 }, signer.privateKey);
  const now = () => Math.floor(Date.now() / 1000);

  await spireServer(kube, server, ['bundle', 'set', '-format', 'spiffe', '-id', `spiffe://${crafted}`], JSON.stringify({ keys: [jwk] }));
  try {
    await withRegistration(kube, { server, like: nested.workloads.a.spiffeId, namespace: nested.namespace, agent: 'nesteda-agent', serviceAccount: 'jwt-authz', federatesWith: [`spiffe://${crafted}`] }, (reg) =>
      withJwtAuthz(kube, reg.agent, { namespace: nested.namespace, name: 'jwt-authz', serviceAccount: 'jwt-authz' },
        { audience, allow: [nested.workloads.a.spiffeId, nested.workloads.b.spiffeId, craftedAllowed] }, async (ask) => {
          const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
          const control = await sign(craftedAllowed, now() + 300);
          // The service starts once its JWTSource holds bundles, and trusts the crafted domain once its agent syncs the entry.
          const bound = agentSyncBoundSeconds(reg.agent.syncSeconds ?? 5) + 20;
          await expect.poll(() => ask('/', bearer(control)).then((d) => `${d.status} ${d.body}`, (e: Error) => e.message), {
            message: `jwt-authz lets the crafted domain's valid control token through (its start, and nestedA-agent's sync of its entry: ${bound.toFixed(0)} s)`, timeout: bound * 1000, intervals: [500],
          }).toMatch(/^200 /);

          const foreign = (await craftingKey('foreign')).key;
          const tokens = {
            'workload-a, through nestedA': (await fetchJwtSvid(kube, nested.workloads.a, audience)).token,
            'workload-b, through nestedB': (await fetchJwtSvid(kube, nested.workloads.b, audience)).token,
            'the crafted domain\'s valid control': control,
            'workload-a, for another audience': (await fetchJwtSvid(kube, nested.workloads.a, 'someone-else.spire-conformance.test')).token,
            'expired 5 min ago (beyond go-jose\'s 1 min leeway)': await sign(craftedAllowed, now() - 300),
            'a SPIFFE ID the service does not allow': await sign(`spiffe://${crafted}/not-allowed`, now() + 300),
            'from a trust domain it has no bundle for': await sign('spiffe://foreign.spire-conformance.test/client', now() + 300, foreign),
          };
          const cases: AuthzCase[] = [
            { name: 'workload-a, through nestedA', expect: { allow: true, spiffeId: nested.workloads.a.spiffeId } },
            { name: 'workload-b, through nestedB', expect: { allow: true, spiffeId: nested.workloads.b.spiffeId } },
            { name: 'the crafted domain\'s valid control', expect: { allow: true, spiffeId: craftedAllowed } },
            { name: 'workload-a, for another audience', expect: { allow: false, reason: /expected audience in \["payments\.spire-conformance\.test"\]/ } },
            { name: 'expired 5 min ago (beyond go-jose\'s 1 min leeway)', expect: { allow: false, reason: /token has expired/ } },
            { name: 'a SPIFFE ID the service does not allow', expect: { allow: false, reason: /not-allowed is not allowed/ } },
            { name: 'from a trust domain it has no bundle for', expect: { allow: false, reason: /no bundle found for trust domain "foreign\.spire-conformance\.test"/ } },
            { name: 'no Authorization header', expect: { allow: false, reason: /no bearer token/ } },
          ];
          const decisions: Record<string, Decision | Error> = {};
          for (const c of cases) {
            const token = tokens[c.name as keyof typeof tokens];
            decisions[c.name] = await ask('/orders', token ? bearer(token) : {}).catch((e: unknown) => e as Error);
          }
          await testInfo.attach('jwt-authz decisions', { body: decisionTable(cases, decisions), contentType: 'text/plain' });
          expect(authzViolations(cases, decisions, 'jwt-authz beside workload-a')).toHaveNoViolations('the authorization service\'s decisions');
        }));
  } finally {
    await spireServer(kube, server, ['bundle', 'delete', '-id', `spiffe://${crafted}`]);
  }
});
