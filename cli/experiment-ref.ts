import type { ApiExperiment } from '../api/api-types';
import { ApiError, absentOn, type ApiClient } from './api-client';
import { UsageError } from './exit-codes';

/**
 * The experiment `ref` names: by id, else by display name (the way `kfp.Client.get_experiment`
 * looks a name up). With `createMissing`, a name that names nothing becomes a new experiment, as
 * `kfp.Client.create_run_from_pipeline_package(experiment_name=…)` does.
 * @throws UsageError naming `argument` when there is no such experiment (and none is created).
 */
export async function resolveExperiment(
  client: ApiClient,
  ref: string,
  opts: { argument: string; createMissing?: boolean },
): Promise<ApiExperiment & { created?: boolean }> {
  // A 400 is an id the API refuses to look up (too long, say): no experiment has it either.
  const byId = await client.getExperiment(ref).catch(absentOn(404, 400));
  if (byId) return byId;
  const byName = await findByName(client, ref);
  if (byName) return byName;
  if (!opts.createMissing) throw new UsageError(`${opts.argument}: no experiment has the id or name "${ref}"`);
  try {
    return { ...(await client.createExperiment({ display_name: ref })), created: true };
  } catch (err) {
    // Another client created it in between: the name is taken by the experiment we want.
    const raced = err instanceof ApiError && err.status === 409 ? await findByName(client, ref) : undefined;
    if (raced) return raced;
    throw err;
  }
}

async function findByName(client: ApiClient, name: string): Promise<ApiExperiment | undefined> {
  return (await client.listExperiments({ displayName: name, pageSize: 1 })).experiments?.[0];
}

/** The id of the experiment an `--experiment` flag names (id or name), or undefined without the flag. */
export async function experimentIdOf(client: ApiClient, ref: string | undefined): Promise<string | undefined> {
  return ref === undefined ? undefined : (await resolveExperiment(client, ref, { argument: '--experiment' })).experiment_id;
}
