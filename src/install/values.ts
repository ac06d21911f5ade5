/**
 * Site values: given with --values on a fresh install, kept (0600) in
 * etc/<product>/values.yaml, read from there afterwards. Secrets never reach logs:
 * `scrub` is applied to any text that may echo a value before it is emitted.
 */
import { copyFile, mkdir, readFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { messageOf, usageError } from '../errors.js';

export type Values = Record<string, unknown>;

export async function readValuesFile(file: string): Promise<Values> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw usageError('VALUES_UNREADABLE', `Cannot read the values file ${file}: ${messageOf(e)}.`, 'Pass --values FILE with the site values (see docs/values.md).');
  }
  let parsed: unknown;
  try {
    parsed = YAML.parse(text);
  } catch (e) {
    throw usageError('VALUES_INVALID', `${file} is not valid YAML: ${messageOf(e).split('\n')[0]}.`, 'Fix the YAML syntax.');
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw usageError('VALUES_INVALID', `${file} must hold a YAML mapping of site values.`, 'See docs/values.md for the keys.');
  return parsed as Values;
}

/** keep a copy of the given values file as the manager's own (only owner may read: it holds secrets) */
export async function keepValues(from: string, dest: string): Promise<void> {
  if (path.resolve(from) === path.resolve(dest)) return;
  await mkdir(path.dirname(dest), { recursive: true });
  await copyFile(from, dest);
  await chmod(dest, 0o600);
}

/**
 * A values key whose value is a secret (docs/values.md): password, passphrase, pass,
 * secret, token, key (api_key, private_key), credential(s), auth (auth, basic_auth),
 * bearer, jwt, cookie, salt. Over-matching only hides a value; missing one leaks it.
 */
export const SECRET_KEY = /pass|secret|token|key|credential|auth|bearer|jwt|cookie|salt/i;

/** amqp://user:pass@host, postgres://user:pass@host: a password hides in a URL under any key */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s/@]+@/gi;

/** the password of a URL with credentials, as written and decoded */
function urlPasswords(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(new RegExp(URL_PASSWORD.source, 'gi'))) {
    const pw = m[0].slice(m[1].length, -1);
    out.push(pw);
    try {
      out.push(decodeURIComponent(pw));
    } catch {
      /* not %-encoded */
    }
  }
  return out;
}

/** replaces every occurrence of a secret value inside free text (DB error messages echo them) */
export function scrub(text: string, values: Values): string {
  const secrets: string[] = [];
  const walk = (v: unknown, key = '') => {
    if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, k);
    else if (typeof v === 'number' && SECRET_KEY.test(key) && String(v).length >= 4)
      secrets.push(String(v)); // password: 12345678 is a number in YAML
    else if (typeof v === 'string') {
      if (v.length >= 4 && SECRET_KEY.test(key)) secrets.push(v);
      secrets.push(...urlPasswords(v).filter((p) => p.length >= 4));
    }
  };
  walk(values);
  return secrets.reduce((t, s) => t.split(s).join('***'), text);
}
