// What the CLI, the bot and the run engine use: run a preflight, render it, and compare the inputs
// of an approved plan with today's to say what changed.
export { estimatesFromTaskDurations, type StepEstimates } from '../plan/estimates.js';
export { diffPlanInputs, planHash } from '../plan/plan-inputs.js';
export type { Plan, PlanInputs, PlanStep, StepKind, UnitPlan } from '../plan/types.js';
export { renderPreflightReport } from './render-text.js';
export { runPreflight } from './run-preflight.js';
export type * from './types.js';
