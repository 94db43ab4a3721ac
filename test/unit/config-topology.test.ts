import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readEnvOptions } from '../../src/config/env.js';
import { durationMs, estimatesOf, parseTopology, protectedUnits } from '../../src/config/topology.js';
import { ConfigError } from '../../src/domain/errors.js';

const exampleText = readFileSync(new URL('../../config/sites.example.yaml', import.meta.url), 'utf8');

type Doc = Record<string, unknown> & {
  sites: Array<Record<string, unknown> & { vcenter: Record<string, unknown> }>;
  arrays: Array<Record<string, unknown>>;
  protection: Array<Record<string, unknown>>;
  approvals: Record<string, unknown>;
  limits: Record<string, unknown>;
  redundancy: Record<string, unknown>;
};

function variant(mutate: (doc: Doc) => void): string {
  const doc = parse(exampleText) as Doc;
  mutate(doc);
  return stringify(doc);
}

function problemsOf(text: string): string[] {
  try {
    parseTopology(text, 'sites.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('expected the configuration to be refused');
}

describe('sites.yaml validation', () => {
  it('accepts the example and derives its protected units', () => {
    const t = parseTopology(exampleText, 'sites.example.yaml');
    expect(t.sites.map((s) => s.name)).toEqual(['site5', 'lognes']);
    const units = protectedUnits(t);
    expect(units.map((u) => [u.id, u.method, u.homeSite, u.peerSite, u.ref.kind])).toEqual([
      ['SAN5-PROD-01', 'storwize', 'site5', 'lognes', 'relationship'],
      ['SAN5-PROD-02', 'storwize', 'site5', 'lognes', 'consistency-group'],
      ['LV-SHARED-01', 'live-volume', 'site5', 'lognes', 'live-volume'],
      ['VPG-APPS', 'zerto', 'site5', 'lognes', 'vpg'],
    ]);
    expect(t.limits.concurrentDatastores).toBe(4);
  });

  const broken: Array<[string, (d: Doc) => void, RegExp]> = [
    ['a missing site', (d) => d.sites.pop(), /sites: .*two sites/],
    [
      'an unknown key (typo)',
      (d) => Object.assign(d.limits, { concurentDatastores: 8 }),
      /limits: unknown key "concurentDatastores"/,
    ],
    [
      'a bad vCenter URL',
      (d) => Object.assign(d.sites[0]!.vcenter, { url: 'vcenter.example.edu' }),
      /sites\[0\]\.vcenter\.url: /,
    ],
    [
      'approvals required 0',
      (d) => Object.assign(d.approvals, { required: 0 }),
      /approvals\.required: at least 1/,
    ],
    [
      'a duplicate datastore',
      (d) => d.protection.push({ ...d.protection[0], relationship: 'rc_other' }),
      /protection: .*SAN5-PROD-01.*(twice|two protection)/,
    ],
    [
      'protection pointing at an unknown array',
      (d) => Object.assign(d.protection[0]!, { array: 'v9000' }),
      /protection\[0\]\.array: unknown array "v9000"/,
    ],
    [
      'a method on the wrong kind of array',
      (d) => Object.assign(d.protection[2]!, { array: 'v7000-site5' }),
      /protection\[2\]\.array: .*storwize array; method "live-volume" needs a dell-dsm/,
    ],
    [
      'protection on an unknown site',
      (d) => Object.assign(d.protection[1]!, { site: 'site6' }),
      /protection\[1\]\.site: unknown site "site6"/,
    ],
    [
      'a host key that is not a SHA-256 fingerprint',
      (d) => Object.assign(d.arrays[0]!, { hostKeySha256: 'MD5:aa:bb' }),
      /arrays\[0\]\.hostKeySha256: /,
    ],
    [
      'a secret written in the file',
      (d) => Object.assign(d.sites[0]!.vcenter, { password: 'hunter2' }),
      /sites\[0\]\.vcenter: unknown key "password"/,
    ],
    [
      'a storwize unit with both relationship and group',
      (d) => Object.assign(d.protection[0]!, { consistencyGroup: 'cg_x' }),
      /protection\[0\]: set exactly one of relationship or consistencyGroup/,
    ],
    [
      'a bad duration',
      (d) => Object.assign(d.limits, { shutdownTimeout: '5 minutes' }),
      /limits\.shutdownTimeout: a duration/,
    ],
    [
      'an invalid redundancy pattern',
      (d) => Object.assign(d.redundancy, { namePattern: '^(web' }),
      /redundancy\.namePattern: a valid regular expression/,
    ],
    [
      'a storwize partner on the same site',
      (d) => Object.assign(d.arrays[1]!, { site: 'site5' }),
      /arrays\[0\]\.partner: .*same site/,
    ],
    [
      'two different vCenters',
      (d) => Object.assign(d.sites[1]!.vcenter, { url: 'https://vc-lognes.example.edu/sdk' }),
      /sites\[1\]\.vcenter\.url: both sites must use the same vCenter/,
    ],
    [
      'a Live Volume array without its Storage Centers',
      (d) => Object.assign(d.arrays[2]!, { storageCenters: { 'SC-SITE5': 'site5' } }),
      /arrays\[2\]\.storageCenters: map the Storage Center of each site/,
    ],
    [
      'more approvals than approvers',
      (d) => Object.assign(d.approvals, { required: 3 }),
      /approvals\.required: 3 approvals needed but only 2/,
    ],
  ];

  it.each(broken)('refuses %s, naming the key', (_label, mutate, expected) => {
    const problems = problemsOf(variant(mutate));
    expect(problems.join('\n')).toMatch(expected);
    for (const p of problems) expect(p.startsWith('sites.yaml: ')).toBe(true);
  });

  it('refuses YAML with a duplicate key', () => {
    expect(problemsOf('sites: []\nsites: []\n').join('\n')).toMatch(
      /sites.yaml: .*[Mm]ap keys must be unique/,
    );
  });

  it('never echoes secret values from the environment', () => {
    const secret = 'xoxb-this-is-not-a-token-but-looks-like-one';
    expect(() => readEnvOptions({ SLACK_BOT_TOKEN: secret, REDIS_URL: 'http://nope' })).toThrow(ConfigError);
    let caught: unknown;
    try {
      readEnvOptions({ SLACK_APP_TOKEN: 'xoxb-wrong-kind', REDIS_URL: 'redis://x' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const e = caught as ConfigError;
    expect(e.problems.join(' ')).toMatch(/SLACK_APP_TOKEN/);
    expect(JSON.stringify(e.problems) + e.message).not.toMatch(/xoxb-wrong-kind/);
  });

  it('reads defaults from an empty environment', () => {
    const o = readEnvOptions({ SLACK_BOT_TOKEN: '' });
    expect(o.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(o.slack.botToken).toBeUndefined();
    expect(o.logLevel).toBe('info');
  });

  it('converts durations', () => {
    expect(durationMs('250ms')).toBe(250);
    expect(durationMs('90s')).toBe(90_000);
    expect(durationMs('2h')).toBe(7_200_000);
    expect(durationMs('7d')).toBe(604_800_000);
  });

  it('reads step estimates for the planner, naming a bad one', () => {
    expect(estimatesOf(parseTopology(exampleText, 'sites.yaml'))).toEqual({
      rescanHostMs: 45_000,
      resyncUnitMs: 7_200_000,
    });
    const t = parseTopology(
      variant((doc) => {
        doc.estimates = { shutdownVm: '90s', registerVm: '250ms', resyncUnit: '3h' };
      }),
      'sites.yaml',
    );
    expect(estimatesOf(t)).toEqual({ shutdownVmMs: 90_000, registerVmMs: 250, resyncUnitMs: 10_800_000 });
    const problems = problemsOf(
      variant((doc) => {
        doc.estimates = { shutdownVm: 'soon', bootTime: '1m' };
      }),
    );
    expect(problems.some((p) => p.includes('estimates.shutdownVm'))).toBe(true);
    expect(problems.some((p) => p.includes('bootTime'))).toBe(true);
  });
});
