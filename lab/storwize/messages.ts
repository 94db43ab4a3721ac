// CLI messages the stand-in prints on stderr. The ids marked [C] are quoted by Cinder's Storwize
// driver and simulator; the others are the lab's choice for cases whose real id was not found, so
// the product must not depend on them (it reads the state back instead).

const texts = {
  CMMVC5701E: 'No object ID was specified.', // [C]
  CMMVC5707E: 'Required parameters are missing.', // [C]
  CMMVC5709E: 'is not a supported parameter.', // [C], printed after "[-flag]"
  CMMVC5713E: 'Some parameters are mutually exclusive.', // [C]
  CMMVC5741E: 'The filter value is not valid.', // lab choice
  CMMVC5753E: 'The specified object does not exist or is not a suitable candidate.', // [C]
  CMMVC5754E: 'The specified object does not exist, or the name supplied does not meet the naming rules.', // [C]
  CMMVC5804E: 'The action failed because an object that was specified in the command does not exist.', // [C]
  CMMVC5937E: 'The action failed because the relationship belongs to a consistency group.', // lab choice
  CMMVC5963E: 'No direction has been defined.', // [C]
  CMMVC5982E: 'The operation was not performed because it is not valid given the current relationship state.', // [C]
  CMMVC6051E: 'An unsupported action was selected.', // lab choice
  CMMVC9999E: 'The lab could not change what the hosts see:', // lab only: vcsim refused a presentation
} as const;

export type MessageId = keyof typeof texts;

/** A command refused by the array: `id text` on stderr, exit status 1. */
export class SimCliError extends Error {
  readonly id: MessageId;

  constructor(id: MessageId, detail?: string) {
    const text =
      id === 'CMMVC5709E' ? `[${detail ?? ''}] ${texts[id]}` : detail ? `${texts[id]} ${detail}` : texts[id];
    super(`${id} ${text}`);
    this.id = id;
  }
}
