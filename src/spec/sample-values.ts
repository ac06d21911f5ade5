/** The sample site values a spec's templates are render-checked with at build time. */
import { readFile } from 'node:fs/promises';
import type { SpecScope } from './checks.js';
import { resolveSpecPath } from './paths.js';
import { str } from './shape.js';
import type { TemplateValues } from './template.js';
import { validateValues } from './values.js';
import { parseYaml } from './yaml.js';

/** the sample values (a missing default file means none: templates then must not use site values), undefined when they cannot be read */
export async function loadSampleValues(s: SpecScope, value: unknown, defaultPath: string): Promise<TemplateValues | undefined> {
  const raw = str(s.p, value, ['sample_values'], defaultPath);
  if (raw === undefined && value !== undefined) return undefined;
  const file = resolveSpecPath(raw ?? defaultPath, s);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing && raw === undefined) return {};
    s.p.add(['sample_values'], `sample values file ${file} ${missing ? 'does not exist' : 'cannot be read'}`, 'create it (a values.yaml with sample site values) or fix the path');
    return undefined;
  }
  const parsed = parseYaml(text);
  for (const error of parsed.errors) s.p.add(['sample_values'], error, 'fix the YAML syntax', file);
  if (parsed.errors.length) return undefined;
  const values = parsed.value ?? {};
  const problems = validateValues(values, file);
  for (const problem of problems) s.p.add(['sample_values', ...(problem.field ? [problem.field] : [])], problem.message, problem.hint ?? '', file);
  return values !== null && typeof values === 'object' && !Array.isArray(values) ? (values as TemplateValues) : undefined;
}
