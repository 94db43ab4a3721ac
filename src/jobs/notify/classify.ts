import type { PostFailure } from './types.js';

// How a failed post is handled, from the error @slack/web-api throws (built with
// `rejectRateLimitedCalls: true` and no retries of its own, so the queue decides): 429 waits for
// Retry-After, 5xx and network errors back off, Slack's own refusals are final.

const RETRYABLE_PLATFORM = new Set([
  'ratelimited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

export const MAX_BACKOFF_MS = 60_000;

export function backoffMs(consecutiveFailures: number, baseMs = 1000): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.max(0, consecutiveFailures - 1));
}

export function classifyPostError(err: unknown, consecutiveFailures: number, baseMs = 1000): PostFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: string;
    retryAfter?: number;
    statusCode?: number;
    data?: { error?: string };
    message?: string;
  };
  const reason = e.message ?? String(err);
  if (e.code === 'slack_webapi_rate_limited_error') {
    const seconds = typeof e.retryAfter === 'number' ? e.retryAfter : 1;
    return { kind: 'retry', delayMs: Math.max(1000, seconds * 1000), reason };
  }
  if (e.code === 'slack_webapi_http_error') {
    if (e.statusCode === 429) return { kind: 'retry', delayMs: 1000, reason };
    if (e.statusCode !== undefined && e.statusCode >= 500) {
      return { kind: 'retry', delayMs: backoffMs(consecutiveFailures, baseMs), reason };
    }
    return { kind: 'fatal', reason };
  }
  if (e.code === 'slack_webapi_request_error') {
    return { kind: 'retry', delayMs: backoffMs(consecutiveFailures, baseMs), reason };
  }
  if (e.code === 'slack_webapi_platform_error') {
    if (e.data?.error && RETRYABLE_PLATFORM.has(e.data.error)) {
      return { kind: 'retry', delayMs: backoffMs(consecutiveFailures, baseMs), reason };
    }
    return { kind: 'fatal', reason };
  }
  // Unknown errors (a bug in a sender): retried with backoff rather than losing the message.
  return { kind: 'retry', delayMs: backoffMs(consecutiveFailures, baseMs), reason };
}
