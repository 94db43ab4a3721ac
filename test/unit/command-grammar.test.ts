import { describe, expect, it } from 'vitest';
import { parseCommand, tokenize } from '../../src/domain/command-grammar.js';
import { UsageError } from '../../src/domain/errors.js';

const ctx = { sites: ['site5', 'lognes'], units: ['SAN-SITE5-PROD-01', 'SAN-SITE5-PROD-02', 'VPG-SITE5-01'] };

function usageError(name: string, text: string): UsageError {
  try {
    parseCommand(name, text, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error(`expected "${name} ${text}" to be refused`);
}

describe('command grammar', () => {
  it('parses a migrate with every option', () => {
    expect(
      parseCommand(
        '/migrate',
        'site5 --to lognes --datastore SAN-SITE5-PROD-01 --datastore=VPG-SITE5-01 --mode cold --dry-run --at "2026-12-05 06:00"',
        ctx,
      ),
    ).toEqual({
      verb: 'migrate',
      site: 'site5',
      to: 'lognes',
      datastores: ['SAN-SITE5-PROD-01', 'VPG-SITE5-01'],
      mode: 'cold',
      dryRun: true,
      at: '2026-12-05 06:00',
      forceOff: true,
    });
  });

  it('treats preflight as a dry run and honours --no-force-off', () => {
    const c = parseCommand('preflight', 'site5 --to lognes --no-force-off', ctx);
    expect(c).toMatchObject({ verb: 'preflight', dryRun: true, forceOff: false, datastores: [] });
  });

  it('defaults failover to the other site', () => {
    expect(parseCommand('/failover', 'site5', ctx)).toMatchObject({
      verb: 'failover',
      site: 'site5',
      to: 'lognes',
    });
  });

  it('parses a failover test, and refuses it with a fencing override', () => {
    expect(parseCommand('/failover', 'site5 --to lognes --test', ctx)).toMatchObject({
      verb: 'failover',
      test: true,
      overrideFencing: false,
    });
    expect(parseCommand('/failover', 'site5', ctx)).toMatchObject({ test: false });
    const err = usageError('/failover', 'site5 --test --override-fencing');
    expect(err.message).toMatch(/--test leaves the source running/);
    expect(err.hint).toContain('--test');
  });

  it('parses /bascule subcommands', () => {
    expect(parseCommand('/bascule', '', ctx)).toEqual({ verb: 'help', topic: null });
    expect(parseCommand('/bascule', 'status', ctx)).toEqual({ verb: 'status', runId: null });
    expect(parseCommand('/bascule', 'retry r-42 SAN-SITE5-PROD-01', ctx)).toEqual({
      verb: 'retry',
      runId: 'r-42',
      unit: 'SAN-SITE5-PROD-01',
    });
    expect(parseCommand('cancel', 'r-42', ctx)).toEqual({ verb: 'cancel', runId: 'r-42' });
  });

  it.each([
    ['/migrate', '', /missing the site to empty/],
    ['/migrate', 'site5', /missing --to SITE/],
    ['/migrate', 'site6 --to lognes', /unknown site "site6" \(did you mean "site5"\?\)/],
    ['/migrate', 'site5 --to site5', /is the site being emptied/],
    ['/migrate', 'site5 --to lognes --mode warm', /--mode must be cold, hot or zerto/],
    [
      '/migrate',
      'site5 --to lognes --datastore SAN-SITE5-PROD-1',
      /unknown datastore .*did you mean "SAN-SITE5-PROD-01"/,
    ],
    ['/migrate', 'site5 --to lognes --force', /unknown option --force/],
    ['/migrate', 'site5 --to', /--to needs a value/],
    ['/migrate', 'site5 lognes --to lognes', /unexpected "lognes"/],
    ['/preflight', 'site5 --to lognes --at 06:00', /unknown option --at/],
    ['/bascule', 'pause', /missing RUN id/],
    ['/bascule', 'explode', /unknown command "explode"/],
    ['/migrate', 'site5 --to "lognes', /unclosed " quote/],
  ])('refuses %s %s with a usage line', (name, text, expected) => {
    const err = usageError(name, text);
    expect(err.message).toMatch(expected);
    if (err.usage) expect(err.toUserText()).toContain('Usage: /');
  });

  it('tokenizes quotes and typographic dashes from Slack clients', () => {
    expect(tokenize('site5 \u2014to lognes --reason \u201cpower cut\u201d')).toEqual([
      'site5',
      '--to',
      'lognes',
      '--reason',
      'power cut',
    ]);
    expect(tokenize('a \'b c\' ""')).toEqual(['a', 'b c', '']);
  });
});
