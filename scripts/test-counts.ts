/** Pure: test counts from the runners' own summaries, for `npm test`'s closing line. */

export interface Counts {
  passed: number;
  failed: number;
  skipped: number;
}

/** node --test's closing block: `# pass 23` (TAP) or `ℹ pass 23` (spec reporter). */
export function countNodeTest(output: string): Counts | undefined {
  const read = (key: string) => {
    const matches = [...output.matchAll(new RegExp(`^(?:#|ℹ) ${key} (\\d+)$`, 'gm'))];
    const last = matches.at(-1);
    return last ? Number(last[1]) : undefined;
  };
  const passed = read('pass');
  const failed = read('fail') === undefined ? undefined : read('fail')! + (read('cancelled') ?? 0);
  if (passed === undefined || failed === undefined) return undefined;
  return { passed, failed, skipped: (read('skipped') ?? 0) + (read('todo') ?? 0) };
}

/** Playwright's JUnit file: the totals on its <testsuites> element (tests include the skipped). */
export function countJunit(xml: string): Counts | undefined {
  const head = /<testsuites\b([^>]*)>/.exec(xml)?.[1];
  if (head === undefined) return undefined;
  const attr = (name: string) => Number(new RegExp(`\\b${name}="(\\d+)"`).exec(head)?.[1] ?? 0);
  const failed = attr('failures') + attr('errors');
  const skipped = attr('skipped');
  return { passed: attr('tests') - failed - skipped, failed, skipped };
}
