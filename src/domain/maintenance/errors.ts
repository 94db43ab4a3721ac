import { BasculeError } from '../errors.js';

// Stable codes for everything that can be wrong with a maintenance window. Each error says what is
// wrong and, in the hint, what to do; nothing is stored when one is thrown.

export type MaintenanceErrorCode =
  | 'MAINT_BAD_TIME'
  | 'MAINT_BAD_TIMEZONE'
  | 'MAINT_DST_GAP'
  | 'MAINT_DST_AMBIGUOUS'
  | 'MAINT_IN_PAST'
  | 'MAINT_END_BEFORE_START'
  | 'MAINT_OVERLAP'
  | 'MAINT_UNKNOWN_SITE'
  | 'MAINT_BAD_REASON'
  | 'MAINT_NOT_FOUND'
  | 'MAINT_CLOSED'
  | 'MAINT_NOT_OPERATOR'
  | 'MAINT_CONFLICT';

export class MaintenanceError extends BasculeError {
  override readonly code: MaintenanceErrorCode;

  constructor(
    code: MaintenanceErrorCode,
    message: string,
    hint: string,
    details: Record<string, unknown> = {},
  ) {
    super(code, message, { hint, details, retryable: false });
    this.code = code;
  }
}
