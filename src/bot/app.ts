import { App, HTTPReceiver, SocketModeReceiver } from '@slack/bolt';
import type { Redis } from 'ioredis';
import type { EnvOptions } from '../config/env.js';
import type { Topology } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import type { Logger } from '../log.js';
import { boltLogger } from './bolt-logger.js';
import { registerBasculeCommand } from './commands/bascule.js';

// Builds the Bolt app with the receiver the environment asks for: Socket Mode when an app-level
// token is set (no inbound firewall opening, the usual choice on a campus network), otherwise the
// HTTP receiver on PORT at Bolt's default path /slack/events, which verifies request signatures.

export interface BotDeps {
  slack: EnvOptions['slack'];
  port: number | undefined;
  topology: Topology;
  redis: Redis;
  log: Logger;
}

export interface Bot {
  app: App;
  mode: 'socket' | 'http';
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createBot(deps: BotDeps): Bot {
  const { slack, log } = deps;
  if (!slack.botToken) {
    throw new ConfigError('SLACK_BOT_TOKEN is not set', ['env SLACK_BOT_TOKEN: missing'], {
      hint: 'Install the app from manifest.json and copy its bot token (xoxb-…) into SLACK_BOT_TOKEN.',
    });
  }
  const logger = boltLogger(log);
  const clientOptions = slack.apiUrl
    ? { slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/` }
    : {};
  let mode: Bot['mode'];
  let receiver: SocketModeReceiver | HTTPReceiver;
  if (slack.appToken) {
    mode = 'socket';
    receiver = new SocketModeReceiver({ appToken: slack.appToken, logger });
  } else if (slack.signingSecret && deps.port !== undefined) {
    mode = 'http';
    receiver = new HTTPReceiver({
      signingSecret: slack.signingSecret,
      logger,
      customRoutes: [
        {
          path: '/healthz',
          method: ['GET'],
          handler: (_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end('{"ok":true}');
          },
        },
      ],
    });
  } else {
    throw new ConfigError(
      'no Slack connection mode configured',
      ['env: set SLACK_APP_TOKEN (Socket Mode), or SLACK_SIGNING_SECRET and PORT (HTTP mode)'],
      { hint: 'Socket Mode is the simplest: enable it in the app settings and create an app-level token.' },
    );
  }
  const app = new App({ token: slack.botToken, receiver, logger, clientOptions, deferInitialization: true });
  registerBasculeCommand(app, { topology: deps.topology, log });
  app.error(async (err) => {
    log.error({ code: err.code, err: err.message }, 'unhandled Slack error');
  });
  return {
    app,
    mode,
    async start() {
      await app.init();
      await (mode === 'http' ? app.start(deps.port as number) : app.start());
    },
    async stop() {
      await app.stop();
    },
  };
}
