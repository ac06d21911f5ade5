/** dpkg and rpm as system package managers (root "/"): the few questions system.ts asks them. */
import { run, runChecked } from '../exec.js';

export interface SystemTool {
  ext: 'deb' | 'rpm';
  /** package name and full version (with revision/release) read from the file */
  identify(file: string): Promise<{ name: string; version: string }>;
  /** full version installed, undefined when not installed */
  installed(name: string): Promise<string | undefined>;
  /** install or up/downgrade to the file */
  install(file: string): Promise<void>;
  remove(name: string): Promise<void>;
}

const FAIL = 'PACKAGE_INSTALL_FAILED';

export const dpkgTool: SystemTool = {
  ext: 'deb',
  async identify(file) {
    const r = await runChecked(['dpkg-deb', '--show', '--showformat=${Package}\\t${Version}', file], 'PACKAGE_UNPACK_FAILED', `dpkg-deb --show ${file}`);
    const [name, version] = r.stdout.trim().split('\t');
    return { name, version };
  },
  async installed(name) {
    const r = await run(['dpkg-query', '--show', '--showformat=${db:Status-Status}\\t${Version}', name]);
    const [status, version] = r.stdout.trim().split('\t');
    return r.code === 0 && status === 'installed' ? version : undefined;
  },
  install: async (file) => void (await runChecked(['dpkg', '-i', file], FAIL, `dpkg -i ${file}`)),
  remove: async (name) => void (await runChecked(['dpkg', '-r', name], FAIL, `dpkg -r ${name}`)),
};

export const rpmTool: SystemTool = {
  ext: 'rpm',
  async identify(file) {
    const r = await runChecked(['rpm', '-qp', '--qf', '%{NAME}\\t%{VERSION}-%{RELEASE}', file], 'PACKAGE_UNPACK_FAILED', `rpm -qp ${file}`);
    const [name, version] = r.stdout.trim().split('\t');
    return { name, version };
  },
  async installed(name) {
    const r = await run(['rpm', '-q', '--qf', '%{VERSION}-%{RELEASE}', name]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  },
  // --oldpackage: the undo of an upgrade is a downgrade
  install: async (file) => void (await runChecked(['rpm', '-U', '--oldpackage', '--replacepkgs', file], FAIL, `rpm -U ${file}`)),
  remove: async (name) => void (await runChecked(['rpm', '-e', name], FAIL, `rpm -e ${name}`)),
};
