import { BasculeError, type BasculeErrorOptions } from '../../src/domain/errors.js';

// Errors of building and starting the lab's vCenter simulator, each with the next step to take.

export type VcsimErrorCode = 'VCSIM_GO_MISSING' | 'VCSIM_BUILD_FAILED' | 'VCSIM_START_FAILED';

const hints: Record<VcsimErrorCode, string> = {
  VCSIM_GO_MISSING:
    'Install the Go toolchain and govmomi: apt-get install -y golang-go golang-github-vmware-govmomi-dev',
  VCSIM_BUILD_FAILED:
    'Read the compiler output above; govmomi must be the Debian package (install golang-go golang-github-vmware-govmomi-dev).',
  VCSIM_START_FAILED: 'Read the vcsim log named above (a model error or a crash is reported there).',
};

export class VcsimError extends BasculeError {
  constructor(code: VcsimErrorCode, message: string, options: BasculeErrorOptions = {}) {
    super(code, message, { hint: hints[code], ...options });
  }
}
