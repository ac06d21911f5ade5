/**
 * The files `uphop init` writes for a new product: a hop spec for the fresh
 * install, one config template, one SQL migration, sample values, a placeholder
 * service (a folder uphop packs, with a /health the spec checks) and a README that
 * says what to replace. Everything builds and installs as written. In the texts
 * below __PRODUCT__ and __VERSION__ are filled in; `${...}` is uphop's own
 * template syntax, rendered at install time.
 */

export type InitDb = 'sqlite' | 'postgres' | 'mysql';
export const INIT_DBS: readonly InitDb[] = ['sqlite', 'postgres', 'mysql'];

export interface ScaffoldInput {
  product: string;
  version: string;
  db: InitDb;
}

export interface ScaffoldFile {
  text: string;
  mode?: number;
}

const SPEC = `# A hop spec of __PRODUCT__ (format: uphop's docs/hop-spec.md). Paths are relative
# to the project root, the folder holding bundles/. Add the next hop with:
#   uphop init --hop <this hop's "to"> <next version>
# from: none is a fresh install; an upgrade hop names the version it starts from.
product: __PRODUCT__
from: none
to: __VERSION__
sample_values: templates/values.sample.yaml   # every template is render-checked with these at build time
components:
  - name: server
    version: __VERSION__
    # A folder: uphop packs it into a tarball at build time. Or a package you build:
    # package: \${artifacts}/__PRODUCT__-server-__VERSION__.tgz (type tarball, deb or rpm)
    package: components/server
    type: tarball
    service:
      # your program and its arguments; \${release} is this component's unpacked folder
      exec: ["\${node}", "\${release}/server.mjs", "--config", "\${root}/etc/__PRODUCT__/__PRODUCT__.conf"]
configs:
  - template: templates/__PRODUCT__.conf.tmpl
    dest: etc/__PRODUCT__/__PRODUCT__.conf
    mode: "0640"
migrations: schema-migrations   # <folder>/<version>/<NNN>-<name>.sql
services:
  order: [server]
  health:
    - name: server
      http: http://127.0.0.1:\${http_port}/health
      body: '"version":"\${version}"'
      timeout: 30s
`;

const CONFIG = `# __PRODUCT__ settings, written by uphop from templates/__PRODUCT__.conf.tmpl and the
# site values (etc/__PRODUCT__/values.yaml). Edit the template, not this file: a file a
# site edited is kept at the next install, with the new one beside it as .new.
port: \${http_port}
version: \${version}
db: \${db}
`;

const DB_VALUES: Record<InitDb, string> = {
  sqlite: `db:
  client: sqlite
  connection:
    filename: var/lib/__PRODUCT__/__PRODUCT__.db   # relative to the manager root
`,
  postgres: `db:
  client: pg
  connection:
    host: 127.0.0.1
    port: 5432
    user: postgres
    password: change-me
    database: postgres
    # schema: __PRODUCT__        # the schema uphop and the product use (must exist)
`,
  mysql: `db:
  client: mysql
  connection:
    host: 127.0.0.1
    port: 3306
    user: root
    password: change-me
    database: __PRODUCT__          # must exist
`,
};

const VALUES = `# Sample site values. uphop build renders every template with them; a site's own
# values file (uphop install --values FILE) starts as a copy of this one.
# Only db, services, releases and agents are read by uphop itself (docs/values.md);
# every key is available to templates and health checks.
http_port: 8080
__DB__services:
  driver: process             # process (built in) | systemd
`;

const MIGRATION = `-- The first table of __PRODUCT__. uphop runs the "-- up" section when it installs
-- __VERSION__ and the "-- down" section when it rolls it back; each runs as one script.
-- Add migrations as schema-migrations/<version that introduces them>/<NNN>-<name>.sql.
-- up
CREATE TABLE items (
  id INTEGER PRIMARY KEY,
  name VARCHAR(200) NOT NULL
);
-- down
DROP TABLE items;
`;

const SERVER = `// Placeholder service of __PRODUCT__, written by \`uphop init\`: replace it with your
// product. It reads the config uphop rendered (etc/__PRODUCT__/__PRODUCT__.conf), listens
// on its port and answers GET /health with its version, which the hop spec's health
// check looks for. Only node: built-ins, so it runs wherever uphop's installer runs.
import { readFileSync } from 'node:fs';
import http from 'node:http';

const file = process.argv[process.argv.indexOf('--config') + 1];
const config = Object.fromEntries(
  readFileSync(file, 'utf8').split('\\n').map((line) => /^([A-Za-z_][\\w-]*):\\s*(.*)$/.exec(line)).filter(Boolean).map((m) => [m[1], m[2]]),
);
const server = http.createServer((req, res) => {
  if (req.url !== '/health') return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', version: config.version }));
});
server.listen(Number(config.port), '127.0.0.1', () => console.log(\`__PRODUCT__ \${config.version} listening on 127.0.0.1:\${config.port}\`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const README = `# __PRODUCT__: upgrade bundles built with uphop

Made by \`uphop init\`. It builds and installs as it is; then replace the
placeholders with your product, one at a time, building after each step.

\`\`\`sh
uphop build --all --out out                       # one bundle per bundles/<from>-to-<to>/
cp templates/values.sample.yaml site.yaml         # a site's values (change http_port if 8080 is taken)
uphop install out/__PRODUCT__-none-to-__VERSION__.tar.gz --root /tmp/__PRODUCT__-sandbox --values site.yaml --allow-unsigned
uphop status --root /tmp/__PRODUCT__-sandbox
uphop rollback --root /tmp/__PRODUCT__-sandbox     # undoes the fresh install: stops the service, removes it (add --force where uphop asks for it)
\`\`\`

| file | what to put there |
| --- | --- |
| \`components/server/\` | your program: a folder uphop packs, or point \`package:\` at a \`.tgz\`, \`.deb\` or \`.rpm\` in \`artifacts/\`. It must carry its own dependencies. |
| \`bundles/none-to-__VERSION__/bundle.yaml\` | the hop: components, \`service.exec\` (how your program starts), configs, health checks |
| \`templates/__PRODUCT__.conf.tmpl\` | your config file; \`\${key}\` is a site value, \`\${db}\` the database settings |
| \`templates/values.sample.yaml\` | every key your templates use, with sample values |
| \`schema-migrations/__VERSION__/\` | SQL migrations (\`-- up\` / \`-- down\`) of __VERSION__ |

Next version: \`uphop init --hop __VERSION__ <next>\` copies the last hop to
\`bundles/__VERSION__-to-<next>/\`; put its migrations in \`schema-migrations/<next>/\`.
Signing: \`uphop keygen --out keys\` once, then \`uphop build --all --sign-key keys/uphop-signing.key\`
(keep the key out of the repository) and install with \`--trust keys/uphop-signing.pub\`.
`;

export function scaffoldFiles(input: ScaffoldInput): Record<string, ScaffoldFile> {
  const { product, version } = input;
  const fill = (text: string) => text.replaceAll('__DB__', DB_VALUES[input.db]).replaceAll('__PRODUCT__', product).replaceAll('__VERSION__', version);
  return {
    'README.md': { text: fill(README) },
    '.gitignore': { text: 'out/\nsite.yaml\nkeys/\n' },
    [`bundles/none-to-${version}/bundle.yaml`]: { text: fill(SPEC) },
    [`templates/${product}.conf.tmpl`]: { text: fill(CONFIG) },
    'templates/values.sample.yaml': { text: fill(VALUES) },
    [`schema-migrations/${version}/001-create-items.sql`]: { text: fill(MIGRATION) },
    'components/server/server.mjs': { text: fill(SERVER) },
  };
}
