/**
 * "tally": a second, tiny product made by the test, so the crash sweep does not
 * only exercise Beacon. One component (a node http server that answers
 * /health with its version), one config, SQL migrations in plain files, and two
 * hops: none -> 1.0.0 (table notes) and 1.0.0 -> 1.1.0 (a .pre column on notes and
 * a main-phase table labels). Built with the real `uphop build`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI } from '../helpers/manager.js';

const SERVER = (version: string) => `// tally ${version}: GET /health -> {"status":"ok","version":"${version}"}
const http = require('node:http');
const fs = require('node:fs');
const conf = fs.readFileSync(process.argv[process.argv.indexOf('--config') + 1], 'utf8');
const port = Number(/^port: *(\\d+)/m.exec(conf)[1]);
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(req.url === '/health' ? { status: 'ok', version: '${version}' } : { error: 'not found' }));
});
server.listen(port, '127.0.0.1', () => console.log(JSON.stringify({ msg: 'listening', port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const SPEC = (from: string, to: string) => `product: tally
from: ${from}
to: ${to}
components:
  - name: web
    version: ${to}
    package: \${artifacts}/tally-web-${to}.tgz
    type: tarball
    service:
      exec: ["\${node}", "\${release}/server.js", "--config", "\${root}/etc/tally/tally.conf"]
configs:
  - template: templates/tally.conf.tmpl
    dest: etc/tally/tally.conf
migrations: migrations
services:
  order: [web]
  health:
    - name: web
      http: http://127.0.0.1:\${rest_port}/health
      body: '"version":"${to}"'
      timeout: 30s
`;

const MIGRATIONS: Record<string, string> = {
  '1.0.0/001-create-notes.sql': '-- up\ncreate table notes (id integer primary key, body varchar(200) not null)\n-- down\ndrop table notes\n',
  '1.1.0/001-add-notes-label.pre.sql': '-- up\nalter table notes add column label varchar(40)\n-- down\nalter table notes drop column label\n',
  '1.1.0/002-create-labels.sql': '-- up\ncreate table labels (id integer primary key, name varchar(40) not null)\n-- down\ndrop table labels\n',
};

export interface TallyBundles {
  fresh: string;
  hop: string;
  dir: string;
}

export interface TallyPadding {
  /** bytes of incompressible data shipped in each web package (assets.bin) */
  assetBytes?: number;
  /** bytes of comment in the config template */
  configBytes?: number;
}

/** writes the project, packs its two versions with tar and builds both hops */
export function buildTally(pad: TallyPadding = {}): TallyBundles {
  const dir = mkdtempSync(path.join(tmpdir(), 'uphop-tally-'));
  const w = (rel: string, body: string) => {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), body);
  };
  for (const v of ['1.0.0', '1.1.0']) {
    w(`src-${v}/server.js`, SERVER(v));
    w(`src-${v}/package.json`, JSON.stringify({ name: 'tally-web', version: v, private: true }));
    if (pad.assetBytes) writeFileSync(path.join(dir, `src-${v}`, 'assets.bin'), randomBytes(pad.assetBytes));
    mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
    execFileSync('tar', ['czf', path.join(dir, 'artifacts', `tally-web-${v}.tgz`), '-C', path.join(dir, `src-${v}`), 'server.js', 'package.json', ...(pad.assetBytes ? ['assets.bin'] : [])]);
  }
  for (const [rel, body] of Object.entries(MIGRATIONS)) w(`migrations/${rel}`, body);
  const comment = pad.configBytes ? `# ${'-'.repeat(78)}\n`.repeat(Math.ceil(pad.configBytes / 81)) : '';
  w('templates/tally.conf.tmpl', `# tally \${version}\n${comment}port: \${rest_port}\n`);
  w('templates/values.sample.yaml', 'db:\n  client: sqlite\n  connection:\n    filename: var/lib/tally/tally.db\nservices:\n  driver: process\nrest_port: 8080\n');
  w('bundles/none-to-1.0.0/bundle.yaml', SPEC('none', '1.0.0'));
  w('bundles/1.0.0-to-1.1.0/bundle.yaml', SPEC('1.0.0', '1.1.0'));
  const out = path.join(dir, 'out');
  execFileSync(process.execPath, [CLI, 'build', '--all', '--project', dir, '--out', out], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000' } });
  return { fresh: path.join(out, 'tally-none-to-1.0.0.tar.gz'), hop: path.join(out, 'tally-1.0.0-to-1.1.0.tar.gz'), dir };
}
