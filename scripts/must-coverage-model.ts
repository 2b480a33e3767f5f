/** Pure: MUST coverage from the tagged checks and the source text of specs and fixtures. */

export interface Check {
  name: string;
  file: string;
  musts: readonly string[];
}

export interface CoverageRow {
  id: string;
  text: string;
  checks: string[];
  specs: string[];
}

const calls = (text: string, name: string) => new RegExp(`\\b${name}\\(`).test(text);
const imports = (text: string, module: string) => new RegExp(`from '[^']*/${module}(\\.ts)?'`).test(text);

/**
 * The functions a module exports (`export function f`, `export async function f`, `export const f =`)
 * that call `check`: each one's text runs to the next top-level export (close enough for this code).
 */
export function exportsCalling(text: string, check: string): string[] {
  const starts = [...text.matchAll(/^export (?:async )?(?:function|const) (\w+)/gm)];
  return starts.filter((m, i) => calls(text.slice(m.index, starts[i + 1]?.index ?? text.length), check) && m[1] !== check).map((m) => m[1]!);
}

/**
 * A spec applies a check when it calls it, or imports a fixture that calls it and calls one of that
 * fixture's exports (one level: fixtures that wrap checks, such as expect.ts's matchers or a chain
 * check that runs the leaf rules, are called by specs directly).
 */
export function specsApplying(check: string, code: Record<string, string>, moduleOf: (file: string) => string): string[] {
  const specs = Object.keys(code).filter((f) => f.startsWith('specs/'));
  const wrappers = Object.keys(code).filter((f) => !f.startsWith('specs/') && calls(code[f]!, check))
    .map((f) => ({ module: moduleOf(f), names: exportsCalling(code[f]!, check) }));
  return specs.filter((s) => calls(code[s]!, check) || wrappers.some((w) => imports(code[s]!, w.module) && w.names.some((n) => calls(code[s]!, n)))).sort();
}

export function mustCoverage(musts: Record<string, string>, checks: Check[], code: Record<string, string>, moduleOf: (file: string) => string) {
  const applied = new Map(checks.map((c) => [c.name, specsApplying(c.name, code, moduleOf)]));
  const rows: CoverageRow[] = Object.entries(musts).map(([id, text]) => {
    const tagged = checks.filter((c) => c.musts.includes(id));
    return { id, text, checks: tagged.map((c) => c.name), specs: [...new Set(tagged.flatMap((c) => applied.get(c.name) ?? []))].sort() };
  });
  return {
    rows,
    total: rows.length,
    covered: rows.filter((r) => r.specs.length > 0).length,
    checkedNowhere: rows.filter((r) => r.checks.length > 0 && r.specs.length === 0).length,
  };
}
