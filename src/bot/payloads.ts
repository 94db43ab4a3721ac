import { z } from 'zod';

// The parts of Slack interaction payloads the bot reads, parsed rather than trusted.

export const blockActionSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({ id: z.string().regex(/^[UW][A-Z0-9]+$/) }),
  actions: z
    .array(
      z.object({
        action_id: z.string(),
        action_ts: z.string().optional(),
        value: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/)
          .optional(),
      }),
    )
    .min(1),
  channel: z.object({ id: z.string() }).optional(),
  message: z.object({ ts: z.string() }).optional(),
});

export type BlockAction = z.infer<typeof blockActionSchema>;
