import { describe, expect, it } from 'vitest';
import { StorwizeError } from '../../src/adapters/storwize/errors.js';
import { commandLine, isObjectName, objectName } from '../../src/adapters/storwize/names.js';

// Object names are checked against the Storwize naming rules before they go into a command, and
// every command token is checked again, so nothing a shell would interpret reaches the array.

describe('Storwize object names', () => {
  it.each(['rc_prod01', 'cg_san_site5_prod_02', 'A', '_x', '.hidden', 'rc-1.2_b', `r${'x'.repeat(62)}`])(
    'accepts %s',
    (name) => {
      expect(isObjectName(name)).toBe(true);
      expect(objectName(name, 'relationship')).toBe(name);
    },
  );

  it.each([
    '',
    '1rc',
    '-rc',
    'rc prod',
    'rc;rmvdisk',
    'rc|cat',
    'rc&',
    'rc$(id)',
    'rc`id`',
    "rc'x",
    'rc"x',
    'rc\nsvctask rmvdisk 0',
    'rc*',
    'rc/x',
    'rcé',
    `r${'x'.repeat(63)}`,
  ])('refuses %j with STORWIZE_INVALID_NAME', (name) => {
    expect(isObjectName(name)).toBe(false);
    let err: unknown;
    try {
      objectName(name, 'relationship');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorwizeError);
    expect((err as StorwizeError).code).toBe('STORWIZE_INVALID_NAME');
    expect((err as StorwizeError).retryable).toBe(false);
    expect((err as StorwizeError).hint).toMatch(/nothing was sent/);
  });
});

describe('commandLine', () => {
  it('joins safe tokens with single spaces', () => {
    expect(
      commandLine([
        'svcinfo',
        'lsrcrelationship',
        '-delim',
        ':',
        '-filtervalue',
        'consistency_group_name=cg_1',
      ]),
    ).toBe('svcinfo lsrcrelationship -delim : -filtervalue consistency_group_name=cg_1');
  });

  it.each([['rc 1'], ['a;b'], ['$HOME'], [''], ['x\ty']])('refuses the token %j', (bad) => {
    expect(() => commandLine(['svctask', 'stoprcrelationship', bad])).toThrow(StorwizeError);
  });

  it('refuses an empty command', () => {
    expect(() => commandLine([])).toThrow(StorwizeError);
  });
});
