// Audit: what production needs and a deploy does not check, on every server and agent found
// (fixtures/checks/production.ts, the suite's own promises): state that outlives the pod, agents
// bootstrapped and attested only where they belong, lifetimes within SPIRE's rules, one issuer.
import { test } from '../../fixtures/audit/audit.fixture.ts';
import { expectPromiseKept, productionPromises } from '../../fixtures/checks/production.ts';

for (const promise of productionPromises) {
  test(promise.title, async ({ audit }) => {
    await expectPromiseKept(promise, audit.topology);
  });
}
