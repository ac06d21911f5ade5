/** test-path's results as JUnit XML (one testcase per hop and direction) and as Markdown. */
import { fmtMs } from '../report/escape.js';

export interface HopCase {
  hop: string;
  direction: 'up' | 'down';
  ok: boolean;
  ms: number;
  /** what failed, one line */
  message?: string;
  /** the migration that failed, when one did */
  migration?: string;
  detail?: string[];
}

const xml = (s: unknown) =>
  String(s ?? '')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!)
    // XML 1.0 has no place for most control characters
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '');

export function junitXml(suite: string, cases: HopCase[], totalMs: number): string {
  const failures = cases.filter((c) => !c.ok).length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="uphop test-path" tests="${cases.length}" failures="${failures}" time="${(totalMs / 1000).toFixed(3)}">`,
    `  <testsuite name="${xml(suite)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${(totalMs / 1000).toFixed(3)}">`,
  ];
  for (const c of cases) {
    const head = `    <testcase classname="${xml(suite)}" name="${xml(`${c.hop} ${c.direction}`)}" time="${(c.ms / 1000).toFixed(3)}"`;
    if (c.ok) lines.push(`${head}/>`);
    else {
      lines.push(`${head}>`);
      lines.push(
        `      <failure message="${xml(c.message)}" type="${c.migration ? 'migration' : 'hop'}">${xml([c.migration ? `migration: ${c.migration}` : '', ...(c.detail ?? [])].filter(Boolean).join('\n'))}</failure>`,
      );
      lines.push('    </testcase>');
    }
  }
  lines.push('  </testsuite>', '</testsuites>', '');
  return lines.join('\n');
}

export function markdown(title: string, cases: HopCase[], facts: [string, string][]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const rows = cases.map((c) => `| ${cell(c.hop)} | ${c.direction} | ${c.ok ? 'pass' : '**FAIL**'} | ${fmtMs(c.ms)} | ${cell(c.migration ?? '')} | ${cell(c.message ?? '')} |`);
  return [`# ${title}`, '', ...facts.map(([k, v]) => `- ${k}: ${v}`), '', '| hop | direction | result | time | migration | detail |', '| --- | --- | --- | --- | --- | --- |', ...rows, ''].join('\n');
}
