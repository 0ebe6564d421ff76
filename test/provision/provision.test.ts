/**
 * `npm test` provisions its system packages (test/provision/provision.mjs): exercised through its
 * dry run, which prints the exact commands without running apt or touching the system.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('./provision.mjs', import.meta.url));

function provision(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [SCRIPT, ...args], (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const isRoot = process.getuid?.() === 0;

describe('npm test provisioning', () => {
  it('installs missing packages with apt as root, apt kept from starting their services (dry run)', async () => {
    const result = await provision('--dry-run', '--assume-missing=chromium,nginx,redis-server');
    if (!isRoot) {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('sudo apt-get install -y chromium nginx redis-server');
      return;
    }
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('provision: installing chromium nginx redis-server');
    expect(result.stdout).toContain('$ apt-get -o DPkg::Lock::Timeout=300 update -q');
    expect(result.stdout).toContain(
      '$ apt-get -o DPkg::Lock::Timeout=300 install -y -q chromium nginx redis-server',
    );
    expect(result.stdout).toContain('simulating: apt-get install -s -y chromium nginx redis-server');
    // A policy-rc.d keeps apt from starting nginx on :80 (unless one is already in place).
    if (!result.stdout.includes('write /usr/sbin/policy-rc.d'))
      expect(existsSync('/usr/sbin/policy-rc.d')).toBe(true);
  });

  it('without root, stops at once and prints the one command to run', async () => {
    const result = await provision('--assume-not-root', '--assume-missing=redis-server');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'npm test needs redis-server, which is not installed. Run:\n\n' +
        '  sudo apt-get update && sudo apt-get install -y redis-server\n\nthen npm test again.\n',
    );
  });

  it('does nothing when everything is installed (the state it leaves behind)', async () => {
    const result = await provision('--dry-run');
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
