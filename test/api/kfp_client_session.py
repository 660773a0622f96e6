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

# Recurring runs: KFP's 6-field cron (seconds first) from a pipeline version, then an interval from a package.
recurring = client.create_recurring_run(
    experiment_id=experiment.experiment_id, job_name='kfp-recurring', cron_expression='0 0 9 ? * 2-6',
    pipeline_id=pipeline.pipeline_id, version_id=version.pipeline_version_id, params={'a': 1, 'b': 2}, no_catchup=True)
rid = recurring.recurring_run_id
seen['recurring'] = {
    'status': recurring.status, 'cron': recurring.trigger.cron_schedule.cron, 'no_catchup': recurring.no_catchup,
    'version': recurring.pipeline_version_reference.pipeline_version_id == version.pipeline_version_id,
}
seen['recurring_id'] = rid
periodic = client.create_recurring_run(
    experiment_id=experiment.experiment_id, job_name='kfp-periodic', interval_second=3600,
    start_time='2030-01-01T00:00:00Z', pipeline_package_path=pipeline_file, params={'a': 5, 'b': 6}, enabled=False)
seen['periodic'] = {'status': periodic.status, 'interval': periodic.trigger.periodic_schedule.interval_second}
seen['periodic_id'] = periodic.recurring_run_id
listed = client.list_recurring_runs(experiment_id=experiment.experiment_id, sort_by='created_at desc', page_size=1)
seen['recurring_listed'] = {'total': listed.total_size, 'first': listed.recurring_runs[0].display_name, 'more': bool(listed.next_page_token)}
client.disable_recurring_run(rid)
seen['recurring_after_disable'] = client.get_recurring_run(rid).status
client.enable_recurring_run(rid)
seen['recurring_after_enable'] = client.get_recurring_run(rid).status
client.delete_recurring_run(periodic.recurring_run_id)
try:
    client.get_recurring_run(periodic.recurring_run_id)
except ApiException as error:
    seen['deleted_recurring'] = error.status
try:
    client.create_recurring_run(
        experiment_id=experiment.experiment_id, job_name='bad-cron', cron_expression='0 0 25 * * *',
        pipeline_id=pipeline.pipeline_id, version_id=version.pipeline_version_id, params={'a': 1, 'b': 2})
except ApiException as error:
    seen['bad_cron'] = {'status': error.status, 'field': json.loads(error.body)['details'][0]['field_violations'][0]['field']}
print(json.dumps(seen))
