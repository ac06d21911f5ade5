/** YAML parsing that keeps line numbers, so problems can say where a field is. */
import { LineCounter, isNode, parseDocument } from 'yaml';
import type { FieldPath } from './problems.js';

export interface ParsedYaml {
  value: unknown;
  /** syntax errors, with the line and column in the message */
  errors: string[];
  /** 1-based line of a field, or of its nearest parent that exists */
  locate(path: FieldPath): number | undefined;
}

export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const errors = doc.errors.map((e) => `YAML syntax error: ${e.message.split('\n')[0].replace(/:$/, '')}`);
  const locate = (path: FieldPath) => {
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };
  return { value: errors.length ? undefined : doc.toJS(), errors, locate };
}
