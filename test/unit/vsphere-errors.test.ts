import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  VsphereAlreadyRegisteredError,
  VsphereFaultError,
  VsphereTaskFailedError,
} from '../../src/adapters/vsphere/errors.js';
import {
  certificateThumbprint,
  isIdempotentRead,
  normalizeThumbprint,
} from '../../src/adapters/vsphere/transport.js';
import { BasculeError } from '../../src/domain/errors.js';
import { makeTestCerts } from '../support/test-certs.js';

// Error classes (codes, retryability, hints) and the small transport helpers.

describe('typed errors', () => {
  it('faults carry code, fault type, method, and the advice for that fault', () => {
    const err = new VsphereFaultError('PowerOnVM_Task', 'InvalidPowerState', 'already on', {
      details: { vm: 'vm-1' },
    });
    expect(err).toBeInstanceOf(BasculeError);
    expect(err).toMatchObject({
      code: 'VSPHERE_FAULT',
      faultType: 'InvalidPowerState',
      method: 'PowerOnVM_Task',
      retryable: false,
    });
    expect(err.details).toMatchObject({
      method: 'PowerOnVM_Task',
      faultType: 'InvalidPowerState',
      vm: 'vm-1',
    });
    expect(err.toUserText()).toMatch(/already on.*refresh the inventory/);
  });

  it('transient faults are retryable, refusals are not', () => {
    expect(new VsphereFaultError('X', 'TaskInProgress', '').retryable).toBe(true);
    expect(new VsphereFaultError('X', 'InvalidLogin', '').retryable).toBe(false);
    expect(new VsphereFaultError('X', 'SomethingNew', '').retryable).toBe(false);
    expect(new VsphereFaultError('X', 'SomethingNew', '').hint).toBeTruthy();
  });

  it('a failed task names its task and keeps the fault advice', () => {
    const err = new VsphereTaskFailedError('RelocateVM_Task', 'task-9', 'HostCommunication', 'lost', {});
    expect(err).toMatchObject({ code: 'VSPHERE_TASK_FAILED', task: 'task-9', retryable: true });
    expect(err.details.task).toBe('task-9');
  });

  it('an existing registration elsewhere is a conflict that carries the VM', () => {
    const err = new VsphereAlreadyRegisteredError(
      '[ds] a/a.vmx',
      { type: 'VirtualMachine', value: 'vm-5' },
      {},
    );
    expect(err).toMatchObject({ code: 'VSPHERE_CONFLICT', vm: { value: 'vm-5' }, retryable: false });
  });
});

describe('transport helpers', () => {
  it('retries only reads', () => {
    expect(isIdempotentRead('RetrievePropertiesEx')).toBe(true);
    expect(isIdempotentRead('QueryUnresolvedVmfsVolume')).toBe(true);
    expect(isIdempotentRead('ContinueRetrievePropertiesEx')).toBe(false);
    expect(isIdempotentRead('PowerOnVM_Task')).toBe(false);
    expect(isIdempotentRead('Login')).toBe(false);
  });

  it('compares thumbprints whatever the case and separators', () => {
    expect(normalizeThumbprint('ab:cd:EF:01')).toBe(normalizeThumbprint('ABCDEF01'));
  });

  it('computes the SHA-256 thumbprint the way the vSphere client shows it', async () => {
    const certs = await makeTestCerts();
    try {
      const pem = certs.certPem;
      expect(certificateThumbprint(pem)).toBe(new X509Certificate(pem).fingerprint256);
      expect(certificateThumbprint(pem)).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    } finally {
      await certs.cleanup();
    }
  });
});
