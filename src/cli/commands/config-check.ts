import { missingSecrets } from '../../config/env.js';
import { loadTopology } from '../../config/load.js';
import { protectedUnits } from '../../config/topology.js';
import { parseCliArgs } from '../args.js';
import { type CliCommand, EXIT } from '../types.js';

const usage = 'bascule config check [FILE] [--json]   (FILE defaults to $BASCULE_CONFIG)';

export const command: CliCommand = {
  name: ['config', 'check'],
  summary: 'Validate sites.yaml and list what it describes',
  usage,
  async run(args, ctx) {
    const { values, positionals } = parseCliArgs(args, { json: { type: 'boolean' } }, usage);
    const file = positionals[0] ?? ctx.env.BASCULE_CONFIG ?? 'config/sites.yaml';
    const topology = loadTopology(file);
    const units = protectedUnits(topology);
    // Missing secrets are reported but do not fail the check: the file is often validated on a
    // workstation that does not hold production credentials. `bascule web`/`worker` fail on them.
    const missing = missingSecrets(topology, ctx.env);
    if (values.json) {
      ctx.stdout.write(
        `${JSON.stringify({ ok: true, file, sites: topology.sites.map((s) => s.name), arrays: topology.arrays.map((a) => a.name), units, missingSecrets: missing }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    const byMethod = new Map<string, number>();
    for (const u of units) byMethod.set(u.method, (byMethod.get(u.method) ?? 0) + 1);
    const lines = [
      `${file}: OK`,
      `  sites:      ${topology.sites.map((s) => `${s.name} (${s.clusters.join(', ')})`).join(' ↔ ')}`,
      `  arrays:     ${topology.arrays.map((a) => `${a.name} [${a.type}]`).join(', ') || '(none)'}`,
      `  protected:  ${units.length} unit(s): ${[...byMethod].map(([m, n]) => `${n} ${m}`).join(', ') || 'none'}`,
      `  approvals:  ${topology.approvals.required} of ${topology.approvals.userGroup ? `group ${topology.approvals.userGroup}` : `${topology.approvals.approvers.length} approver(s)`}, never the requester`,
    ];
    if (missing.length > 0) {
      lines.push(`  warning: ${missing.length} secret variable(s) not set in this environment:`);
      for (const m of missing) lines.push(`    - ${m}`);
    }
    ctx.stdout.write(`${lines.join('\n')}\n`);
    return EXIT.ok;
  },
};
