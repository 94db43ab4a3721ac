import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MaintenanceService } from './service.js';

// GET /maintenance.ics for the bot's HTTP receiver: calendar clients subscribe to it. Read-only and
// without secrets (site names, times, reasons), so it needs no auth beyond the receiver's network.

export const ICS_PATH = '/maintenance.ics';

/**
 * Serves the feed when the request is GET/HEAD /maintenance.ics and returns true; returns false
 * for any other request, so the receiver can chain it before its own routes.
 */
export function maintenanceIcsRoute(service: MaintenanceService, domain?: string) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== ICS_PATH) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const body = await service.ics(domain);
    res.writeHead(200, {
      'content-type': 'text/calendar; charset=utf-8',
      'content-disposition': 'inline; filename="maintenance.ics"',
      'cache-control': 'no-cache',
      'content-length': String(Buffer.byteLength(body, 'utf8')),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
