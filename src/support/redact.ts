/**
 * Nothing secret leaves in a support bundle: the values file with every secret
 * key's value replaced, and every text (logs, journals, reports, state) with the
 * values' secrets and any password inside a URL replaced by ***.
 */
import { SECRET_KEY, scrub, type Values } from '../install/values.js';
/** user:password@ in any URL, known to the values or not */
const URL_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@'"]*:)[^\s/@'"]+@/gi;

export const maskUrls = (text: string) => text.replace(URL_PASSWORD, '$1***@');

export function redactText(text: string, values: Values): string {
  return maskUrls(scrub(text, values));
}

export function redactValues(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => redactValues(x, key));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactValues(x, k)]));
  if (SECRET_KEY.test(key) && v !== null && v !== undefined && v !== '') return '***';
  return typeof v === 'string' ? maskUrls(v) : v;
}
