import { readFileSync } from 'node:fs';
import { ConfigError } from '../domain/errors.js';
import type { Topology } from './schema.js';
import { parseTopology } from './topology.js';

/** Reads and validates sites.yaml; the only config function that touches the disk. */
export function loadTopology(file: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err);
    throw new ConfigError(`cannot read ${file}: ${reason}`, [`${file}: ${reason}`], {
      hint: 'Point BASCULE_CONFIG at your sites.yaml (start from config/sites.example.yaml).',
    });
  }
  return parseTopology(text, file);
}
