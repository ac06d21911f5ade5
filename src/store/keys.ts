/** Object keys come from catalogs and user input: refuse anything that could escape the store root. */
import { usageError } from '../errors.js';

export function checkKey(key: string): string {
  const bad = key === '' || key.startsWith('/') || key.includes('\\') || key.includes('\0') || key.split('/').some((seg) => seg === '..' || seg === '.');
  if (bad) throw usageError('STORE_BAD_KEY', `The object key "${key}" is not a plain relative path.`, 'Use keys without "..", ".", backslashes or a leading "/".');
  return key;
}

/** a single file name as used in catalogs and download folders */
export function checkFileName(name: string): string {
  if (!/^[A-Za-z0-9._+-]+$/.test(name) || name === '.' || name === '..') {
    throw usageError('STORE_BAD_FILE_NAME', `The file name "${name}" is not a plain file name.`, 'Bundle file names look like <product>-<from>-to-<to>.tar.gz.');
  }
  return name;
}
