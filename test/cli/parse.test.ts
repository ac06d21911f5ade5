/** Argument parsing on its own, table-driven: no command runs here. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/parse.js';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { isUphopError } from '../../src/errors.js';

const ok: [string, string[], string, Record<string, unknown>][] = [
  ['build with hops', ['build', 'bundles/a', 'bundles/b'], 'build', { hops: ['bundles/a', 'bundles/b'], out: 'out', level: 5, all: false }],
  ['build --all signed', ['build', '--all', '--sign-key', 'k', '--out', 'dist'], 'build', { all: true, signKey: 'k', out: 'dist' }],
  ['verify --trust', ['verify', 'b.tar.gz', '--trust', 'pub'], 'verify', { bundle: 'b.tar.gz', trust: 'pub', allowUnsigned: false }],
  ['inspect --json', ['inspect', 'b.tar.gz', '--json'], 'inspect', { bundle: 'b.tar.gz', json: true }],
  ['install defaults', ['install', 'b.tar.gz'], 'install', { root: '/', dryRun: false, rollback: true, allowUnsigned: false, agents: true }],
  ['install --no-agents', ['install', 'b.tar.gz', '--no-agents'], 'install', { agents: false }],
  ['upgrade --no-agents', ['upgrade', '--to', '4.2.0', '--store', 'file:///s', '--no-agents'], 'upgrade', { agents: false, to: '4.2.0' }],
  ['agents (list by default)', ['agents', '--root', '/m'], 'agents', { action: 'list', root: '/m', dryRun: false }],
  ['agents rollout --dry-run', ['agents', 'rollout', '--dry-run'], 'agents', { action: 'rollout', dryRun: true, root: '/' }],
  ['install --no-rollback', ['install', 'b', '--no-rollback', '--root', '/r', '--values', 'v.yaml'], 'install', { rollback: false, root: '/r', values: 'v.yaml' }],
  ['install --ignore-preflight', ['install', 'b', '--ignore-preflight', 'disk', '--ignore-preflight', 'hook'], 'install', { ignorePreflight: ['disk', 'hook'] }],
  ['status --root', ['status', '--root', '/m'], 'status', { root: '/m' }],
  ['resume', ['resume'], 'resume', { root: '/' }],
  ['rollback --notify', ['rollback', '--notify', 'http://x'], 'rollback', { notify: 'http://x' }],
  ['keygen', ['keygen', '--out', 'keys'], 'keygen', { out: 'keys' }],
];

const bad: [string, string[], RegExp][] = [
  ['no command', [], /Name a command/],
  ['unknown command', ['instal', 'b'], /Unknown argument|Did you mean/],
  ['unknown flag', ['verify', 'b', '--trusted', 'k'], /Unknown argument/],
  ['unknown dashed flag named once', ['verify', 'b', '--allow-unsignd'], /^Unknown argument: allow-unsignd$/],
  ['missing positional', ['inspect'], /Not enough non-option arguments/],
  ['keygen without --out', ['keygen'], /Missing required argument: out/],
  ['a flag given twice', ['install', 'b', '--values', 'a.yaml', '--values', 'b.yaml'], /--values was given 2 times/],
  ['bad preflight name', ['install', 'b', '--ignore-preflight', 'version'], /Invalid values/],
  ['unknown agents action', ['agents', 'upgrade'], /Invalid values/],
];

describe('parseArgs', () => {
  it.each(ok)('%s', async (_name, argv, command, expected) => {
    const p = await parseArgs(argv, COMMANDS);
    expect(p.command?.name).toBe(command);
    expect(p.options).toMatchObject(expected);
  });

  it.each(bad)('%s is a usage error (exit 2)', async (_name, argv, message) => {
    const e = await parseArgs(argv, COMMANDS).then(
      () => undefined,
      (x) => x,
    );
    expect(isUphopError(e)).toBe(true);
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(message);
  });

  it('--help prints usage without running anything', async () => {
    const p = await parseArgs(['--help'], COMMANDS);
    expect(p.command).toBeUndefined();
    expect(p.output).toMatch(/uphop <command>/);
    expect(p.output).toMatch(/install <bundle>/);
  });
});
