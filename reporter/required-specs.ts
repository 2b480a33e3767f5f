/**
 * Every test the suite defines, whatever this run selected: a narrowed run (one folder, a grep)
 * leaves the others "not run", and they count against the verdict. Listed by Playwright itself
 * (`playwright test --list --reporter=json`), so the list is exactly what a full run would run.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { RequiredSpec } from './run-model.ts';

interface JsonSuite {
  title: string;
  file?: string;
  specs?: { title: string; file: string; tests: { projectName: string }[] }[];
  suites?: JsonSuite[];
}

export function requiredFromJson(report: { suites: JsonSuite[] }): RequiredSpec[] {
  const out: RequiredSpec[] = [];
  const walk = (suite: JsonSuite, path: string[], file: string) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) {
        const title = [...path, spec.title].join(' › ');
        const project = t.projectName || 'default';
        out.push({ key: `${project} › ${file} › ${title}`, project, file, title });
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...path, child.title], file);
  };
  for (const fileSuite of report.suites) walk(fileSuite, [], fileSuite.file ?? fileSuite.title);
  return out;
}

export async function listRequiredSpecs(configFile: string, cwd: string): Promise<RequiredSpec[]> {
  const cli = createRequire(import.meta.url).resolve('@playwright/test/cli');
  const { stdout } = await promisify(execFile)(process.execPath, [cli, 'test', '--list', '--reporter=json', '--config', configFile], {
    cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: '' },
  });
  return requiredFromJson(JSON.parse(stdout) as { suites: JsonSuite[] });
}
