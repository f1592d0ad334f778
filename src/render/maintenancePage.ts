// The default maintenance page (templates/maintenance.html.hbs, overridable
// in .deployer/ like every template): the app's name and the message. The
// renderer does not escape (it writes config files), so the view is HTML already.
import type { Config } from '../config/types.js';
import type { Renderer } from './renderer.js';

export const DEFAULT_MAINTENANCE_MESSAGE = 'We are making some changes and will be back shortly.';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderMaintenancePage(renderer: Renderer, config: Pick<Config, 'app' | 'appName' | 'stage'>, message?: string): string {
  return renderer.render('maintenance.html.hbs', {
    app: escapeHtml(config.app),
    appName: escapeHtml(config.appName),
    stage: config.stage === undefined ? null : escapeHtml(config.stage),
    message: escapeHtml(message ?? DEFAULT_MAINTENANCE_MESSAGE),
  });
}
