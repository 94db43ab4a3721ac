import type { Step } from './plan.js';
import type { UnitRef } from './read.js';

// The state-changing commands, with the `svctask` prefix the reference calls the safest form.
// Names were validated when the unit was resolved; commandLine() checks every token again.

export function stepCommand(ref: UnitRef, step: Step): string[] {
  const object = ref.kind === 'relationship' ? 'rcrelationship' : 'rcconsistgrp';
  switch (step.verb) {
    case 'switch':
      return ['svctask', `switch${object}`, '-primary', step.primary, ref.name];
    case 'stop-access':
      return ['svctask', `stop${object}`, '-access', ref.name];
    case 'start':
      return [
        'svctask',
        `start${object}`,
        '-primary',
        step.primary,
        ...(step.force ? ['-force'] : []),
        ref.name,
      ];
  }
}

export function describeStep(ref: UnitRef, step: Step, siteOf: (role: 'master' | 'aux') => string): string {
  switch (step.verb) {
    case 'switch':
      return `switching ${ref.name} to ${step.primary} (${siteOf(step.primary)})`;
    case 'stop-access':
      return `stopping ${ref.name} with -access (replica writable)`;
    case 'start':
      return `starting ${ref.name} from ${step.primary} (${siteOf(step.primary)})${step.force ? ' with -force' : ''}`;
  }
}
