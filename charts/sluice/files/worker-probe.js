// The worker's probes (it serves no port). Asks Temporal whether this pod is among the pollers
// of the workflow task queue: a worker's identity is `<pid>@<hostname>`, and a pod's hostname
// is its name.
//   node worker-probe.js ready   exit 0 only when this pod polls (a rollout waits for that)
//   node worker-probe.js live    exit 1 only when Temporal answers and has not seen this pod
//                                poll for minutes (a hung worker); exit 0 when Temporal cannot
//                                be reached, so a Temporal outage never restarts the workers
// Reads the container's own environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
// SLUICE_TASK_QUEUE and the TEMPORAL_TLS_* variables the chart sets. Loads @temporalio/client
// from the image (/app, or SLUICE_HOME).
'use strict';
/* global require, process, console */
/* eslint-disable @typescript-eslint/no-require-imports -- a plain CommonJS script that node runs in the pod */
const { readFileSync } = require('node:fs');
const { hostname } = require('node:os');

const mode = process.argv[2];
if (mode !== 'ready' && mode !== 'live') {
  console.error('usage: worker-probe.js ready|live');
  process.exit(2);
}
const env = process.env;
const home = env.SLUICE_HOME || '/app';
const { Connection } = require(require.resolve('@temporalio/client', { paths: [home, process.cwd()] }));

function tls() {
  const file = (name) => (env[name] ? readFileSync(env[name]) : undefined);
  const crt = file('TEMPORAL_TLS_CLIENT_CERT_PATH');
  const key = file('TEMPORAL_TLS_CLIENT_KEY_PATH');
  const ca = file('TEMPORAL_TLS_SERVER_CA_CERT_PATH');
  const serverName = env.TEMPORAL_TLS_SERVER_NAME || undefined;
  const on = ['true', '1'].includes((env.TEMPORAL_TLS || '').toLowerCase());
  if (!on && !crt && !ca && !serverName) return undefined;
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: ca } : {}),
    ...(crt && key ? { clientCertPair: { crt, key } } : {}),
  };
}

async function main() {
  const address = env.TEMPORAL_ADDRESS;
  const namespace = env.TEMPORAL_NAMESPACE || 'default';
  const taskQueue = env.SLUICE_TASK_QUEUE || 'sluice-pipelines';
  if (!address) return fail('TEMPORAL_ADDRESS is not set');
  let pollers;
  let connection;
  try {
    connection = await Connection.connect({ address, tls: tls(), connectTimeout: '5s' });
    const res = await connection.workflowService.describeTaskQueue({
      namespace,
      taskQueue: { name: taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    pollers = res.pollers || [];
  } catch (err) {
    const why = `cannot ask Temporal at ${address}: ${err && err.message ? err.message.split('\n')[0] : err}`;
    if (mode === 'live') return pass(`${why} (not this worker's fault)`);
    return fail(why);
  } finally {
    if (connection) await connection.close().catch(() => undefined);
  }
  const me = `@${hostname()}`;
  const mine = pollers.filter((p) => typeof p.identity === 'string' && p.identity.endsWith(me));
  if (mine.length) return pass(`${mine[0].identity} polls ${taskQueue}`);
  return fail(`no poller of ${taskQueue} in namespace ${namespace} is this pod (${me}); pollers: ${pollers.map((p) => p.identity).join(', ') || 'none'}`);
}

function pass(message) {
  console.log(`ok: ${message}`);
  process.exit(0);
}

function fail(message) {
  console.log(`not ${mode}: ${message}`);
  process.exit(1);
}

main().catch((err) => fail(err && err.message ? err.message : String(err)));
