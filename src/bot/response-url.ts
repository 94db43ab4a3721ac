import http from 'node:http';
import https from 'node:https';

// Replies to a slash command go to its response_url. Bolt's respond() posts through axios and
// follow-redirects on a fresh connection each time: about 2 ms of CPU per reply in the ack bench,
// spent on the same event loop that must acknowledge the next commands within Slack's 3 s. This
// poster keeps connections to Slack alive and does only what a response_url needs: one JSON POST.

export interface ResponseUrlPoster {
  post(url: string, message: Record<string, unknown>): Promise<void>;
  close(): void;
}

export interface PosterOptions {
  /** A request that has not finished after this long fails (the reply is then reported lost). */
  timeoutMs?: number;
  /** Connections kept per host; more requests wait for one. */
  maxSockets?: number;
}

export function createResponseUrlPoster(o: PosterOptions = {}): ResponseUrlPoster {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const agentOptions = { keepAlive: true, maxSockets: o.maxSockets ?? 16 };
  const agents = { http: new http.Agent(agentOptions), https: new https.Agent(agentOptions) };
  return {
    post(url, message) {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      if (!secure && target.protocol !== 'http:') {
        return Promise.reject(new Error(`response_url ${target.protocol} is not HTTP(S)`));
      }
      const body = Buffer.from(JSON.stringify(message));
      return new Promise<void>((resolve, reject) => {
        const req = (secure ? https : http).request(
          target,
          {
            method: 'POST',
            agent: secure ? agents.https : agents.http,
            headers: { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length },
            timeout: timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) resolve();
              else {
                // Slack answers 404 `expired_url` / `used_url` when a response_url is no longer valid.
                const text = Buffer.concat(chunks).toString('utf8').slice(0, 200);
                reject(new Error(`response_url answered HTTP ${status}: ${text || '(empty)'}`));
              }
            });
            res.on('error', reject);
          },
        );
        req.on('timeout', () => req.destroy(new Error(`response_url did not answer within ${timeoutMs} ms`)));
        req.on('error', reject);
        req.end(body);
      });
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
