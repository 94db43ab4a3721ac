import { type Block, clip, context, MAX_BUTTON, section } from './limits.js';

// The approval prompt posted in the thread once nothing blocks, and what it becomes after the
// decision (who decided and when, no buttons left).

export const APPROVE_ACTION = 'bascule_approve';
export const REJECT_ACTION = 'bascule_reject';

export interface PromptModel {
  runId: string;
  summary: string;
  requestedBy: string;
  planHash: string;
  required: number;
  approvals: Array<{ user: string; at: string }>;
  expiresAt: string;
  /** ISO time the run starts once approved (--at), else null. */
  startAt: string | null;
  startAtLabel: string | null;
}

export function approvalPromptBlocks(m: PromptModel): Block[] {
  const approveLabel = m.startAtLabel ? `Approve and run at ${m.startAtLabel}` : 'Approve and run';
  const got = m.approvals.map((a) => `<@${a.user}>`).join(', ');
  return [
    section(
      `:lock: *Approval needed* for run \`${m.runId}\`: ${m.summary}\n` +
        `Requested by <@${m.requestedBy}>. ${m.required} approver(s) other than the requester must approve` +
        `${got ? ` (so far: ${got})` : ''}.`,
    ),
    {
      type: 'actions',
      block_id: `approval:${m.runId}`,
      elements: [
        {
          type: 'button',
          action_id: APPROVE_ACTION,
          style: 'primary',
          text: { type: 'plain_text', text: clip(approveLabel, MAX_BUTTON) },
          value: m.runId,
        },
        {
          type: 'button',
          action_id: REJECT_ACTION,
          style: 'danger',
          text: { type: 'plain_text', text: 'Reject' },
          value: m.runId,
        },
      ],
    },
    context(`Plan hash \`${m.planHash.slice(0, 12)}\` · expires ${m.expiresAt}`),
  ];
}

export type Decision =
  | { kind: 'approved'; by: string[]; at: string; startAt: string | null }
  | { kind: 'rejected'; by: string; at: string }
  | { kind: 'expired'; at: string }
  | { kind: 'cancelled'; by: string; at: string };

export function decisionText(runId: string, d: Decision): string {
  switch (d.kind) {
    case 'approved':
      return (
        `:white_check_mark: Run \`${runId}\` approved by ${d.by.map((u) => `<@${u}>`).join(', ')} at ${d.at}` +
        (d.startAt ? `; it starts at ${d.startAt}.` : '; it is starting.')
      );
    case 'rejected':
      return `:x: Run \`${runId}\` rejected by <@${d.by}> at ${d.at}. Nothing was changed.`;
    case 'expired':
      return `:hourglass: The approval of run \`${runId}\` expired at ${d.at}. Nothing was changed; run the command again for a fresh preflight.`;
    case 'cancelled':
      return `:no_entry_sign: Run \`${runId}\` was cancelled by <@${d.by}> at ${d.at} before approval.`;
  }
}

export function decidedPromptBlocks(runId: string, summary: string, d: Decision): Block[] {
  return [section(`*Approval* for run \`${runId}\`: ${summary}`), section(decisionText(runId, d))];
}
