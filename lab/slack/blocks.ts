// Block Kit limits as Slack enforces them, so a message the bot builds too large fails here the way
// it would fail in production (`invalid_blocks`, with Slack's json-pointer messages) instead of
// passing silently against a lenient stand-in. Only the limits Bascule can plausibly hit are checked.

type Json = Record<string, unknown>;

const blockTypes = new Set([
  'section',
  'divider',
  'header',
  'context',
  'actions',
  'image',
  'input',
  'rich_text',
  'markdown',
  'video',
  'file',
  'table',
]);

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Checker {
  readonly errors: string[] = [];

  fail(message: string, pointer: string): void {
    this.errors.push(`${message} [json-pointer:${pointer}]`);
  }

  text(v: unknown, at: string, max: number, plainOnly = false): void {
    if (!isObject(v)) {
      this.fail('must be an object', at);
      return;
    }
    const type = v.type;
    if (type !== 'plain_text' && (plainOnly || type !== 'mrkdwn')) {
      this.fail(plainOnly ? 'must be a plain_text object' : 'must be plain_text or mrkdwn', `${at}/type`);
    }
    if (typeof v.text !== 'string' || v.text.length === 0) {
      this.fail('must be more than 0 characters', `${at}/text`);
      return;
    }
    if (v.text.length > max) this.fail(`must be less than ${max + 1} characters`, `${at}/text`);
  }

  element(v: unknown, at: string, actionIds: Set<string>): void {
    if (!isObject(v)) {
      this.fail('must be an object', at);
      return;
    }
    if (typeof v.action_id === 'string') {
      if (v.action_id.length > 255) this.fail('must be less than 256 characters', `${at}/action_id`);
      if (actionIds.has(v.action_id))
        this.fail('action_id must be unique within the block', `${at}/action_id`);
      actionIds.add(v.action_id);
    }
    if (v.type === 'button') {
      this.text(v.text, `${at}/text`, 75, true);
      if (typeof v.value === 'string' && v.value.length > 2000)
        this.fail('must be less than 2001 characters', `${at}/value`);
      if (v.style !== undefined && v.style !== 'primary' && v.style !== 'danger') {
        this.fail('must be one of primary, danger', `${at}/style`);
      }
    }
    if (v.confirm !== undefined) this.confirm(v.confirm, `${at}/confirm`);
  }

  confirm(v: unknown, at: string): void {
    if (!isObject(v)) {
      this.fail('must be an object', at);
      return;
    }
    this.text(v.title, `${at}/title`, 100, true);
    this.text(v.text, `${at}/text`, 300);
    this.text(v.confirm, `${at}/confirm`, 30, true);
    this.text(v.deny, `${at}/deny`, 30, true);
  }

  block(b: unknown, at: string, blockIds: Set<string>): void {
    if (!isObject(b)) {
      this.fail('must be an object', at);
      return;
    }
    if (typeof b.type !== 'string' || !blockTypes.has(b.type)) {
      this.fail('unsupported type', `${at}/type`);
      return;
    }
    if (b.block_id !== undefined) {
      if (typeof b.block_id !== 'string' || b.block_id.length > 255)
        this.fail('must be less than 256 characters', `${at}/block_id`);
      else if (blockIds.has(b.block_id)) this.fail('block_id must be unique', `${at}/block_id`);
      else blockIds.add(b.block_id);
    }
    const actionIds = new Set<string>();
    switch (b.type) {
      case 'section': {
        if (b.text === undefined && b.fields === undefined)
          this.fail('must provide either text or fields', at);
        if (b.text !== undefined) this.text(b.text, `${at}/text`, 3000);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields)) {
            this.fail('must be an array', `${at}/fields`);
            return;
          }
          if (b.fields.length > 10) this.fail('must provide no more than 10 items', `${at}/fields`);
          for (const [i, f] of b.fields.entries()) this.text(f, `${at}/fields/${i}`, 2000);
        }
        if (b.accessory !== undefined) this.element(b.accessory, `${at}/accessory`, actionIds);
        return;
      }
      case 'header':
        this.text(b.text, `${at}/text`, 150, true);
        return;
      case 'markdown':
        if (typeof b.text !== 'string' || b.text.length > 12000)
          this.fail('must be less than 12001 characters', `${at}/text`);
        return;
      case 'context':
        this.list(b.elements, `${at}/elements`, 10, (e, p) => {
          if (isObject(e) && (e.type === 'plain_text' || e.type === 'mrkdwn')) this.text(e, p, 3000);
        });
        return;
      case 'actions':
        this.list(b.elements, `${at}/elements`, 25, (e, p) => {
          this.element(e, p, actionIds);
        });
        return;
      case 'input':
        this.text(b.label, `${at}/label`, 2000, true);
        if (b.element === undefined) {
          this.fail('must provide an element', `${at}/element`);
          return;
        }
        this.element(b.element, `${at}/element`, actionIds);
        return;
      default:
        return;
    }
  }

  list(v: unknown, at: string, max: number, each: (e: unknown, at: string) => void): void {
    if (!Array.isArray(v) || v.length === 0) {
      this.fail('must provide at least 1 item', at);
      return;
    }
    if (v.length > max) this.fail(`must provide no more than ${max} items`, at);
    for (const [i, e] of v.entries()) each(e, `${at}/${i}`);
  }
}

/** Slack's messages for what is wrong with `blocks` (a message allows 50, a modal 100); empty when valid. */
export function blockErrors(blocks: unknown[], max: 50 | 100, pointer = '/blocks'): string[] {
  const c = new Checker();
  if (blocks.length > max) c.fail(`must provide no more than ${max} items`, pointer);
  const ids = new Set<string>();
  for (const [i, b] of blocks.entries()) c.block(b, `${pointer}/${i}`, ids);
  return c.errors;
}

/** Slack's messages for what is wrong with a modal view; empty when valid. */
export function viewErrors(view: Json): string[] {
  const c = new Checker();
  if (view.type !== 'modal' && view.type !== 'home') c.fail('must be one of modal, home', '/view/type');
  if (view.type === 'modal') {
    c.text(view.title, '/view/title', 24, true);
    if (view.submit !== undefined) c.text(view.submit, '/view/submit', 24, true);
    if (view.close !== undefined) c.text(view.close, '/view/close', 24, true);
  }
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) {
    c.fail('must be less than 3001 characters', '/view/private_metadata');
  }
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255) {
    c.fail('must be less than 256 characters', '/view/callback_id');
  }
  if (!Array.isArray(view.blocks)) c.fail('must be an array', '/view/blocks');
  else c.errors.push(...blockErrors(view.blocks, 100, '/view/blocks'));
  return c.errors;
}

function randomId(): string {
  return Math.random().toString(36).slice(2, 7);
}

function withActionId(e: unknown): unknown {
  return isObject(e) && e.action_id === undefined && typeof e.type === 'string'
    ? { ...e, action_id: randomId() }
    : e;
}

/**
 * Blocks as Slack stores them: every block gets a block_id and every interactive element an
 * action_id (random when the app set none), which is what block_actions payloads then carry.
 */
export function withIds(blocks: unknown[]): unknown[] {
  return blocks.map((b) => {
    if (!isObject(b)) return b;
    const out: Json = { ...b, block_id: typeof b.block_id === 'string' ? b.block_id : randomId() };
    if (Array.isArray(b.elements) && b.type === 'actions') out.elements = b.elements.map(withActionId);
    if (b.accessory !== undefined) out.accessory = withActionId(b.accessory);
    if (b.element !== undefined) out.element = withActionId(b.element);
    return out;
  });
}
