/**
 * uphop assumes nothing of its reference product: Beacon's names (the product, its
 * components, its value keys) appear in src/ only in comments. Comments are cut
 * out first (block comments, and // comments that start a line or follow code
 * after a space, so a URL's "//" in a string stays), then every line is searched.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';

const NAMES = /beacon|rest_port|worker_port|rest-service|BEACON_/i;

const files = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []));

export const withoutComments = (source: string): string => source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|\s)\/\/.*$/gm, '$1');

it('the comment stripper keeps code and strings, drops comments', () => {
  expect(withoutComments("const a = 'http://x'; // beacon\n/* beacon\n */ b('beacon')")).toMatch(/^const a = 'http:\/\/x';\s+\n\s+\n\s+b\('beacon'\)$/);
});

it("src/ names none of Beacon's names outside comments", () => {
  const hits: string[] = [];
  for (const file of files('src')) {
    withoutComments(readFileSync(file, 'utf8'))
      .split('\n')
      .forEach((line, i) => {
        if (NAMES.test(line)) hits.push(`${file}:${i + 1}: ${line.trim()}`);
      });
  }
  expect(hits).toEqual([]);
});
