import { type Logger, LogLevel } from '@slack/bolt';

/** A Slack SDK logger that says nothing: the tests assert on what reached the stand-in instead. */
export const silentSlackLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
