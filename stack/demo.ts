import demo from '../examples/digits/pipeline';
import { compilePipeline } from '../sdk';

/**
 * Starts the demo (examples/digits) through the API, as any client would, and returns its run id.
 * Each start of `sluice dev --demo` makes a new run, so earlier runs stay for comparison.
 */
export async function submitDemoRun(apiUrl: string, token: string): Promise<string> {
  const res = await fetch(`${apiUrl}/apis/v2beta1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ display_name: `digits demo ${new Date().toISOString()}`, pipeline_spec: compilePipeline(demo) }),
  });
  const body = (await res.json()) as { run_id?: string; message?: string };
  if (!res.ok || !body.run_id) throw new Error(`starting the demo run failed (${res.status}): ${body.message ?? JSON.stringify(body)}`);
  return body.run_id;
}
