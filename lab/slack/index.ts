import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { localControl, type SlackControl } from './control.js';
import { Faults } from './faults.js';
import { requestHandler } from './server.js';
import { SlackStore } from './store.js';
import type {
  SlackCall,
  SlackChannelSpec,
  SlackResponsePost,
  SlackTeamSpec,
  SlackUserGroupSpec,
  SlackUserSpec,
  SlackWorkspaceSpec,
} from './types.js';
import { labWorkspace } from './workspace.js';

// The Slack Web API stand-in: point @slack/web-api (or Bolt's `clientOptions.slackApiUrl`) at
// `apiUrl`. It keeps the conversation, answers Slack's errors for bad input, records every call and
// can be told to rate-limit or fail.

export interface SlackSimOptions {
  botToken: string;
  /** Kept with the stand-in so that the driver signs requests with the bot's secret. */
  signingSecret: string;
  /** Sites whose announcement channels the default workspace has; default site5 and lognes. */
  sites?: readonly string[];
  users?: SlackUserSpec[];
  userGroups?: SlackUserGroupSpec[];
  channels?: SlackChannelSpec[];
  team?: SlackTeamSpec;
  /** How long a trigger id may open a view; Slack's is 3 s. */
  triggerTtlMs?: number;
}

export interface SlackSim {
  port: number;
  /** Base URL of the stand-in (response_urls and /lab/ control live here). */
  url: string;
  /** Web API base for `slackApiUrl` / SLACK_API_URL, ending in `/api/`. */
  apiUrl: string;
  botToken: string;
  signingSecret: string;
  workspace: SlackWorkspaceSpec;
  /** Every Web API call, in arrival order (live array, emptied by `control.reset()`). */
  calls: SlackCall[];
  /** Every post to a response_url (live array). */
  responses: SlackResponsePost[];
  /** Direct read access to messages, ephemerals and views. */
  store: SlackStore;
  control: SlackControl;
  stop(): Promise<void>;
}

export async function startSlackSim(o: SlackSimOptions): Promise<SlackSim> {
  const defaults = labWorkspace(o.sites ?? ['site5', 'lognes']);
  const workspace: SlackWorkspaceSpec = {
    team: o.team ?? defaults.team,
    bot: defaults.bot,
    users: o.users ?? defaults.users,
    userGroups: o.userGroups ?? defaults.userGroups,
    channels: o.channels ?? defaults.channels,
  };
  const store = new SlackStore(workspace, o.triggerTtlMs ?? 3_000);
  const faults = new Faults();
  const calls: SlackCall[] = [];
  const responses: SlackResponsePost[] = [];
  let baseUrl = '';
  const control = localControl({ store, faults, calls, responses, baseUrl: () => baseUrl });
  const server = createServer(
    requestHandler({
      store,
      faults,
      calls,
      responses,
      control,
      botToken: o.botToken,
      baseUrl: () => baseUrl,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    port,
    url: baseUrl,
    apiUrl: `${baseUrl}/api/`,
    botToken: o.botToken,
    signingSecret: o.signingSecret,
    workspace,
    calls,
    responses,
    store,
    control,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export { connectSlackSim, type RemoteSlackSim } from './client.js';
export type { SlackControl } from './control.js';
export { createSlackDriver, type DriverResponse, type Signing, type SlackDriver } from './driver.js';
export type * from './types.js';
export {
  labBot,
  labChannels,
  labGroups,
  labTeam,
  labUsers,
  labWorkspace,
  siteChannelId,
} from './workspace.js';
