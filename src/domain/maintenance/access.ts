import { MaintenanceError } from './errors.js';

// Who may schedule, edit or cancel. The caller passes the acting Slack user id (the bot: the user
// of the command; the CLI: --as or BASCULE_OPERATOR). An empty operator list means anyone.

export interface OperatorAccess {
  operators: string[];
  operatorGroup?: string | undefined;
}

/**
 * Throws MAINT_NOT_OPERATOR unless `actor` is a configured operator. `inOperatorGroup` is the
 * caller's answer for access.operatorGroup membership (a Slack lookup the domain cannot make).
 */
export function requireOperator(actor: string | null, access: OperatorAccess, inOperatorGroup = false): void {
  if (access.operators.length === 0 && !access.operatorGroup) return;
  if (actor !== null && (access.operators.includes(actor) || inOperatorGroup)) return;
  throw new MaintenanceError(
    'MAINT_NOT_OPERATOR',
    actor === null
      ? 'no operator given: only configured operators may schedule, edit or cancel maintenance'
      : `${actor} is not an operator: only configured operators may schedule, edit or cancel maintenance`,
    `Ask an operator (access.operators in sites.yaml: ${access.operators.join(', ') || 'none listed'}) to do it; on the CLI pass --as YOUR_SLACK_ID or set BASCULE_OPERATOR.`,
    { actor },
  );
}
