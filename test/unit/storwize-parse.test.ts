import { describe, expect, it } from 'vitest';
import { cliFailure } from '../../src/adapters/storwize/cli-failure.js';
import { StorwizeError } from '../../src/adapters/storwize/errors.js';
import { parseCmmvc, parseConcise, parseDetailed } from '../../src/adapters/storwize/parse.js';
import { toGroup, toMemberRows, toRelationship, toSystem } from '../../src/adapters/storwize/schema.js';

// The CLI text forms of reference §1.1–1.3, and what the adapter accepts from them.

const relationship = `id:3
name:rc_prod01
master_cluster_id:0000020061A00000
master_cluster_name:v7000-site5
master_vdisk_id:6
master_vdisk_name:PROD01
aux_cluster_id:0000020061B00000
aux_cluster_name:v7000-lognes
aux_vdisk_id:7
aux_vdisk_name:PROD01_aux
primary:aux
consistency_group_id:
consistency_group_name:
state:inconsistent_copying
bg_copy_priority:50
progress:42
freeze_time:2015/08/11/12/16/47
status:online
sync:out_of_sync
copy_type:global
cycling_mode:none
future_attribute:whatever
`;

function thrown(fn: () => unknown): StorwizeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StorwizeError);
    return err as StorwizeError;
  }
  throw new Error('expected a StorwizeError');
}

describe('parseConcise', () => {
  it('maps each row by the header, whatever the column order', () => {
    const a = parseConcise('id:name:state\n0:rc_a:idling\n1:rc_b:consistent_synchronized\n', ':');
    const b = parseConcise('state:id:name\nidling:0:rc_a\nconsistent_synchronized:1:rc_b\n', ':');
    expect(a).toEqual(b);
    expect(a[1]).toEqual({ id: '1', name: 'rc_b', state: 'consistent_synchronized' });
  });

  it('keeps empty fields and reads no objects from empty output', () => {
    expect(parseConcise('id:primary:progress\n0::\n', ':')).toEqual([{ id: '0', primary: '', progress: '' }]);
    expect(parseConcise('', ':')).toEqual([]);
    expect(parseConcise('\r\n', ':')).toEqual([]);
  });

  it('refuses rows that do not match the header, and a header with repeated names', () => {
    expect(thrown(() => parseConcise('id:name\n0:rc_a:extra\n', ':', 'v7000-a')).code).toBe(
      'STORWIZE_UNEXPECTED_OUTPUT',
    );
    expect(thrown(() => parseConcise('id:id\n0:1\n', ':')).code).toBe('STORWIZE_UNEXPECTED_OUTPUT');
  });
});

describe('parseDetailed', () => {
  it('collects repeated keys into lists and splits on the first delimiter only', () => {
    const [view, ...rest] = parseDetailed(
      'name:cg1\nRC_rel_id:0\nRC_rel_name:rc_a\nRC_rel_id:4\nRC_rel_name:rc_b\nnote:a:b\n',
      ':',
    );
    expect(rest).toEqual([]);
    expect(view?.get('RC_rel_name')).toEqual(['rc_a', 'rc_b']);
    expect(view?.get('RC_rel_id')).toEqual(['0', '4']);
    expect(view?.get('note')).toEqual(['a:b']);
  });

  it('starts a new object after a blank line, and reads the space-delimited form', () => {
    const views = parseDetailed('id 0\nname a\n\nid 1\nname b\n', ' ');
    expect(views.map((v) => v.get('name'))).toEqual([['a'], ['b']]);
  });

  it('refuses a line without a key', () => {
    expect(thrown(() => parseDetailed('name:a\njunk\n', ':')).code).toBe('STORWIZE_UNEXPECTED_OUTPUT');
  });
});

describe('parseCmmvc', () => {
  it('reads the message id and severity', () => {
    expect(
      parseCmmvc('CMMVC5753E The specified object does not exist or is not a suitable candidate.\n'),
    ).toEqual({
      id: 'CMMVC5753E',
      number: 5753,
      severity: 'E',
      text: 'CMMVC5753E The specified object does not exist or is not a suitable candidate.',
    });
    expect(parseCmmvc('warning first\nCMMVC6372W approaching the licensed capacity')?.severity).toBe('W');
    expect(parseCmmvc('CMMVC1234I done')?.severity).toBe('I');
  });

  it('finds nothing in other text', () => {
    expect(parseCmmvc('rbash: foo: command not found')).toBeNull();
    expect(parseCmmvc('CMMVC123E short')).toBeNull();
  });
});

describe('schemas', () => {
  it('reads a detailed relationship, ignoring attributes it does not know', () => {
    const r = toRelationship(parseDetailed(relationship, ':'), 'v7000-site5');
    expect(r).toMatchObject({
      name: 'rc_prod01',
      primary: 'aux',
      state: 'inconsistent_copying',
      progress: 42,
      consistency_group_name: '',
      sync: 'out_of_sync',
    });
  });

  it('reads a blank primary as no direction and a blank progress as none', () => {
    const idle = relationship
      .replace('primary:aux', 'primary:')
      .replace('progress:42', 'progress:')
      .replace('inconsistent_copying', 'idling');
    expect(toRelationship(parseDetailed(idle, ':'), 'a')).toMatchObject({
      primary: null,
      progress: null,
      state: 'idling',
    });
  });

  it('refuses a state it does not know, a progress over 100 and a second object', () => {
    const odd = relationship.replace('inconsistent_copying', 'consistent_pondering');
    expect(thrown(() => toRelationship(parseDetailed(odd, ':'), 'a')).message).toContain('state');
    const over = relationship.replace('progress:42', 'progress:142');
    expect(thrown(() => toRelationship(parseDetailed(over, ':'), 'a')).code).toBe(
      'STORWIZE_UNEXPECTED_OUTPUT',
    );
    expect(
      thrown(() => toRelationship(parseDetailed(`${relationship}\n${relationship}`, ':'), 'a')).message,
    ).toContain('expected one object');
  });

  it('reads a group with its members, one or many', () => {
    const head =
      'id:0\nname:cg1\nmaster_cluster_id:0000020061A00000\nmaster_cluster_name:a\naux_cluster_id:0000020061B00000\n' +
      'aux_cluster_name:b\nprimary:master\nstate:consistent_stopped\nfreeze_time:\nstatus:online\nsync:in_sync\n';
    const one = toGroup(
      parseDetailed(`${head}relationship_count:1\nRC_rel_id:2\nRC_rel_name:rc_a\n`, ':'),
      'a',
    );
    expect(one).toMatchObject({
      members: ['rc_a'],
      relationship_count: 1,
      sync: 'in_sync',
      primary: 'master',
    });
    const two = toGroup(
      parseDetailed(
        `${head}relationship_count:2\nRC_rel_id:2\nRC_rel_name:rc_a\nRC_rel_id:5\nRC_rel_name:rc_b\n`,
        ':',
      ),
      'a',
    );
    expect(two.members).toEqual(['rc_a', 'rc_b']);
    const short = `${head}relationship_count:2\nRC_rel_id:2\nRC_rel_name:rc_a\n`;
    expect(thrown(() => toGroup(parseDetailed(short, ':'), 'a')).message).toContain(
      '1 members for relationship_count 2',
    );
  });

  it('reads member rows and the system identity', () => {
    expect(
      toMemberRows([{ name: 'rc_a', state: 'inconsistent_copying', progress: '7', extra: 'x' }], 'a'),
    ).toEqual([{ name: 'rc_a', state: 'inconsistent_copying', progress: 7 }]);
    expect(
      toSystem(parseDetailed('id:0000020061A00000\nname:v7000-site5\nlocation:local\n', ':'), 'a'),
    ).toEqual({
      id: '0000020061A00000',
      name: 'v7000-site5',
    });
  });
});

describe('cliFailure', () => {
  const argv = ['svctask', 'switchrcrelationship', '-primary', 'aux', 'rc_prod01'];

  it.each([
    ['CMMVC5753E The specified object does not exist or is not a suitable candidate.', 'STORWIZE_NOT_FOUND'],
    [
      'CMMVC5754E The specified object does not exist, or the name supplied does not meet the naming rules.',
      'STORWIZE_NOT_FOUND',
    ],
    [
      'CMMVC5804E The action failed because an object that was specified in the command does not exist.',
      'STORWIZE_NOT_FOUND',
    ],
    [
      'CMMVC5982E The operation was not performed because it is not valid given the current relationship state.',
      'STORWIZE_WRONG_STATE',
    ],
    ['CMMVC5963E No direction has been defined.', 'STORWIZE_WRONG_STATE'],
    ['CMMVC6035E The action failed as the object already exists.', 'STORWIZE_COMMAND_FAILED'],
    ['rbash: switchrcrelationship: command not found', 'STORWIZE_COMMAND_FAILED'],
  ])('%s → %s', (stderr, code) => {
    const e = cliFailure('v7000-lognes', argv, 1, `${stderr}\n`);
    expect(e.code).toBe(code);
    expect(e.retryable).toBe(false);
    expect(e.message).toContain(stderr.split(' ')[0]);
    expect(e.hint).toBeTruthy();
    expect(e.details).toMatchObject({
      array: 'v7000-lognes',
      command: 'switchrcrelationship',
      object: 'rc_prod01',
    });
  });

  it('says the exit status when stderr is empty', () => {
    expect(cliFailure('a', argv, 3, '').message).toContain('exit status 3');
  });
});
