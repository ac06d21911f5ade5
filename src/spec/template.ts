/**
 * The template language of hop specs, config templates and health checks:
 * `${name}` or `${a.b.c}` looks a value up, `$${` writes a literal `${`.
 * Strings render as they are, numbers and booleans as text, null as nothing,
 * objects and arrays as JSON (which is valid YAML too). A missing value is an
 * error naming the variable and the source, so nothing renders half-filled.
 */
import { usageError } from '../errors.js';

export type TemplateValues = Record<string, unknown>;
export interface TemplateOptions {
  /** what is rendered, for error messages: a file path or a field such as services.health[0].http */
  source?: string;
}

type Token = { text: string } | { name: string; line: number };

const NAME = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$/;
const LITERAL_HINT = 'write $${ for a literal ${';

function tokenize(text: string, source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let literal = '';
  while (i < text.length) {
    const j = text.indexOf('$', i);
    if (j < 0) break;
    literal += text.slice(i, j);
    if (text.startsWith('$${', j)) {
      literal += '${';
      i = j + 3;
    } else if (text.startsWith('${', j)) {
      const line = lineAt(text, j);
      const close = text.indexOf('}', j + 2);
      if (close < 0) {
        throw usageError('TEMPLATE_SYNTAX', `${source} line ${line} has a \${ that is never closed`, `close it with } or ${LITERAL_HINT}`);
      }
      const name = text.slice(j + 2, close).trim();
      if (!NAME.test(name)) {
        throw usageError('TEMPLATE_SYNTAX', `${source} line ${line} has a bad placeholder "${text.slice(j, close + 1)}"`, `placeholders look like \${name} or \${a.b.c}; ${LITERAL_HINT}`);
      }
      if (literal) tokens.push({ text: literal });
      literal = '';
      tokens.push({ name, line });
      i = close + 1;
    } else {
      literal += '$';
      i = j + 1;
    }
  }
  literal += text.slice(i);
  if (literal) tokens.push({ text: literal });
  return tokens;
}

const lineAt = (text: string, index: number): number => {
  let line = 1;
  for (let k = text.indexOf('\n'); k >= 0 && k < index; k = text.indexOf('\n', k + 1)) line++;
  return line;
};

/** the value at a dotted path, own properties only (so `constructor` is never "found") */
export function lookup(values: unknown, name: string): { found: boolean; value?: unknown } {
  let current: unknown = values;
  for (const key of name.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, key)) return { found: false };
    current = (current as Record<string, unknown>)[key];
  }
  return current === undefined ? { found: false } : { found: true, value: current };
}

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

export function renderTemplate(text: string, values: TemplateValues, opts: TemplateOptions = {}): string {
  const source = opts.source ?? 'template';
  let out = '';
  for (const token of tokenize(text, source)) {
    if ('text' in token) {
      out += token.text;
      continue;
    }
    const { found, value } = lookup(values, token.name);
    if (!found) {
      throw usageError(
        'TEMPLATE_VALUE_MISSING',
        `${source} line ${token.line} uses \${${token.name}}, which is not in the values`,
        `add "${token.name}" to the values (a dotted name is a nested key), or ${LITERAL_HINT}`,
      );
    }
    out += formatValue(value);
  }
  return out;
}

/** the variable names a text uses, each once, in order of first use */
export function placeholders(text: string, opts: TemplateOptions = {}): string[] {
  const names = tokenize(text, opts.source ?? 'template').flatMap((t) => ('name' in t ? [t.name] : []));
  return [...new Set(names)];
}

/** renders every string inside an object or array (keys stay as written) */
export function renderDeep<T>(value: T, values: TemplateValues, opts: TemplateOptions = {}): T {
  if (typeof value === 'string') return renderTemplate(value, values, opts) as T;
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, values, opts)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderDeep(v, values, opts)])) as T;
  }
  return value;
}
