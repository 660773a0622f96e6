import { DEFAULT_NAMESPACE, DEFAULT_PORTS } from '../config/constants';
import type { CliContext, GlobalOptions } from './context';

export const DEFAULT_TEMPORAL_UI_URL = `http://127.0.0.1:${DEFAULT_PORTS.temporalUi}`;

/** The run's page in the dashboard (hash-routed), given the dashboard's root: the API's own URL. */
export function dashboardRunUrl(dashboardUrl: string, runId: string): string {
  return `${dashboardUrl.replace(/\/+$/, '')}/#/runs/${encodeURIComponent(runId)}`;
}

/** The run's workflow in the Temporal UI (the workflow id is the run id). */
export function temporalRunUrl(temporalUiUrl: string, runId: string, namespace = DEFAULT_NAMESPACE): string {
  return `${temporalUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(runId)}`;
}

/** `--temporal-ui`, else `SLUICE_TEMPORAL_UI`, else the dev server's default. */
export function temporalUiBase(ctx: CliContext, globals: GlobalOptions): string {
  return globals.temporalUi ?? ctx.env.SLUICE_TEMPORAL_UI ?? DEFAULT_TEMPORAL_UI_URL;
}
