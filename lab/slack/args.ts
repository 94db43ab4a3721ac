import { z } from 'zod';

// Web API arguments arrive as form fields (strings; @slack/web-api JSON-encodes objects into them)
// or as a JSON body (real types). These helpers accept both, as Slack does.

export const str = z.union([z.string(), z.number().transform(String)]);
export const bool = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1'),
]);
export const jsonArray = z.array(z.unknown());
export const jsonObject = z.record(z.string(), z.unknown());

/** Form fields Slack decodes as JSON, and the error it answers when one is not valid JSON. */
const jsonFields: Record<string, string> = {
  blocks: 'invalid_blocks_format',
  attachments: 'invalid_attachments',
  view: 'invalid_arguments',
  metadata: 'invalid_metadata_format',
};

/** Decodes JSON-valued form fields in place; returns Slack's error name for the first bad one. */
export function decodeJsonFields(args: Record<string, unknown>): string | undefined {
  for (const [field, error] of Object.entries(jsonFields)) {
    const v = args[field];
    if (typeof v !== 'string') continue;
    try {
      args[field] = JSON.parse(v);
    } catch {
      return error;
    }
  }
  return undefined;
}

/** Slack's `invalid_arguments` answer, with one `[ERROR]` line per problem. */
export function invalidArguments(messages: string[]): Record<string, unknown> & { ok: false; error: string } {
  return {
    ok: false,
    error: 'invalid_arguments',
    response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) },
  };
}

export function zodMessages(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.message} [json-pointer:/${i.path.join('/')}]`);
}
