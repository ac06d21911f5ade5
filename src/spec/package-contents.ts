/**
 * What a tarball component holds, so the build can tell a stranger that the
 * program its service runs is not in the package (rather than the install rolling
 * back after the health check's timeout). Only the first exec argument under
 * `${release}/` is checked: it is the program or script; later ones may be paths
 * the program creates. deb and rpm packages lay out their files elsewhere and are
 * not looked into.
 */
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { list } from 'tar';
import { messageOf } from '../errors.js';
import type { SpecComponent } from './types.js';
import type { ValidationScope } from './checks.js';
import type { FieldPath } from './problems.js';
import { renderDeep } from './template.js';
import { SAMPLE_ROOT, serviceValues } from './values.js';

/** relative path (no "./", no trailing "/") -> mode, of every entry of a tarball file or a folder */
export async function packageEntries(pkg: string, folder: boolean): Promise<Map<string, number>> {
  const entries = new Map<string, number>();
  const norm = (p: string) => path.posix.normalize(p.replace(/^(\.\/)+/, '')).replace(/\/$/, '');
  if (folder) {
    const walk = async (rel: string): Promise<void> => {
      for (const name of await readdir(path.join(pkg, rel))) {
        const r = rel ? `${rel}/${name}` : name;
        const info = await lstat(path.join(pkg, r));
        entries.set(r, info.mode);
        if (info.isDirectory()) await walk(r);
      }
    };
    await walk('');
  } else {
    await list({
      file: pkg,
      onReadEntry: (e) => {
        entries.set(norm(e.path), e.mode ?? 0);
      },
    });
  }
  return entries;
}

const topLevel = (entries: Map<string, number>) => [...new Set([...entries.keys()].map((p) => p.split('/')[0]).filter((p) => p && p !== '.'))].sort();

/** reports when the service's program (its first ${release}/ argument) is missing from the package or not executable */
export async function checkServiceProgram(s: ValidationScope, c: SpecComponent, at: FieldPath): Promise<void> {
  if (!c.service || c.type !== 'tarball' || !s.vars) return;
  const release = serviceValues(SAMPLE_ROOT, s.product, c.name).release as string;
  let exec: string[];
  try {
    exec = renderDeep(c.service.exec, { ...s.vars, ...serviceValues(SAMPLE_ROOT, s.product, c.name) });
  } catch {
    return; // the render problem is reported already
  }
  const i = exec.findIndex((a) => a.startsWith(`${release}/`));
  if (i < 0) return;
  const rel = path.posix.normalize(exec[i].slice(release.length + 1));
  let entries: Map<string, number>;
  try {
    entries = await packageEntries(c.package, !!c.folder);
  } catch (e) {
    s.p.add([...at, 'package'], `package ${c.package} cannot be read as a tar.gz: ${messageOf(e)}`, 'rebuild it with tar -czf, or point package: at the component folder for uphop to pack');
    return;
  }
  const mode = entries.get(rel);
  const field = [...at, 'service', 'exec', i];
  if (mode === undefined) {
    const top = topLevel(entries);
    s.p.add(
      field,
      `service ${c.name} runs \${release}/${rel}, which the package ${c.package} does not hold`,
      `the package's top level is the release folder: put ${rel} there, or fix the path (the package holds ${top.length ? top.slice(0, 8).join(', ') : 'nothing'}${top.length > 8 ? ', ...' : ''})`,
    );
  } else if (i === 0 && !(mode & 0o111)) {
    s.p.add(
      field,
      `service ${c.name} runs \${release}/${rel}, which is not executable in the package ${c.package}`,
      `chmod +x ${rel} before packing, or run it through its interpreter (e.g. ["\${node}", "\${release}/${rel}"])`,
    );
  }
}
