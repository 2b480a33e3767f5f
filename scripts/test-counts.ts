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

/**
 * Playwright's JUnit file: each failed test as `[project] › file › title › step: its error's first
 * line`, so that a CI log cut in the middle still says what failed, where, and why.
 */
export function failuresJunit(xml: string): string[] {
  const unescape = (s: string) => s.replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  const out: string[] = [];
  for (const m of xml.matchAll(/<testcase\b[^>]*\bname="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
    const failure = /<failure\b([^>]*)>\s*(?:<!\[CDATA\[([\s\S]*?)\]\]>)?/.exec(m[2]!);
    if (!failure) continue;
    const lines = (failure[2] ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
    // The text opens with Playwright's header (project, file, title and the failing step), ruled off.
    const where = lines[0]?.replace(/\s*─+$/, '') ?? unescape(m[1]!);
    const message = unescape(/\bmessage="([^"]*)"/.exec(failure[1]!)?.[1] ?? '').split('\n')[0] || lines.find((l) => l.startsWith('Error')) || '(no message)';
    out.push(`${where}: ${message}`);
  }
  return out;
}
