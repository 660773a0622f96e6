"""Drives Sluice's API with the official kfp.Client, as a user's script would, and prints what it saw as JSON.

Usage: python kfp_client_session.py API_URL PIPELINE_FILE TOKEN
"""
import json
import sys
import warnings

import kfp
from kfp_server_api.exceptions import ApiException

warnings.filterwarnings('ignore')
url, pipeline_file, token = sys.argv[1], sys.argv[2], sys.argv[3]
# kfp sends existing_token as `Authorization: Bearer <token>` on every call.
client = kfp.Client(host=url, existing_token=token)
seen = {'healthz': client.get_kfp_healthz().to_dict()}
try:
    kfp.Client(host=url).list_experiments()
    seen['anonymous'] = 200
except ApiException as e:
    seen['anonymous'] = e.status

pipeline = client.upload_pipeline(pipeline_file, pipeline_name='kfp-client-pipeline', description='via kfp')
seen['pipeline_name'] = pipeline.display_name
seen['pipeline_id_by_name'] = client.get_pipeline_id('kfp-client-pipeline') == pipeline.pipeline_id
version = client.upload_pipeline_version(pipeline_file, pipeline_version_name='v2', pipeline_id=pipeline.pipeline_id)
seen['versions'] = client.list_pipeline_versions(pipeline.pipeline_id).total_size

experiment = client.create_experiment('kfp-client-experiment')
# create_experiment looks the name up first (a display_name filter), so a second call finds the first.
seen['experiment_reused'] = client.create_experiment('kfp-client-experiment').experiment_id == experiment.experiment_id

run = client.run_pipeline(
    experiment_id=experiment.experiment_id, job_name='kfp-run', pipeline_id=pipeline.pipeline_id,
    version_id=version.pipeline_version_id, params={'a': 1, 'b': 2})
seen['run_id'] = run.run_id
seen['run_state'] = client.get_run(run.run_id).state
package_run = client.create_run_from_pipeline_package(
    pipeline_file, arguments={'a': 3, 'b': 4}, run_name='package-run', experiment_name='kfp-client-experiment')
seen['package_run_id'] = package_run.run_id
# Caching is a run's switch only in the spec: kfp.Client rewrites the root DAG's tasks' flags.
uncached_run = client.create_run_from_pipeline_package(
    pipeline_file, arguments={'a': 5, 'b': 6}, run_name='uncached-run', experiment_name='kfp-client-experiment', enable_caching=False)
seen['uncached_run_id'] = uncached_run.run_id
seen['runs_in_experiment'] = client.list_runs(experiment_id=experiment.experiment_id).total_size

client.terminate_run(run.run_id)
seen['state_after_terminate'] = client.get_run(run.run_id).state

try:
    client.run_pipeline(
        experiment_id=experiment.experiment_id, job_name='bad', pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id, params={'a': 'x', 'b': 2})
except ApiException as error:
    seen['bad_run'] = {'status': error.status, 'message': json.loads(error.body)['error_message']}
print(json.dumps(seen))
