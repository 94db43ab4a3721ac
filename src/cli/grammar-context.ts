import type { Topology } from '../config/schema.js';
import { protectedUnits } from '../config/topology.js';
import type { GrammarContext } from '../domain/command-grammar.js';

/** What the command grammar may accept for this topology: its sites, units and datastores. */
export function grammarContext(topology: Topology): GrammarContext {
  const units = protectedUnits(topology);
  return {
    sites: topology.sites.map((s) => s.name),
    units: [...new Set([...units.map((u) => u.id), ...units.flatMap((u) => u.datastores)])],
  };
}
