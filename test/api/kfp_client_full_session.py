"""Drives a whole Sluice stack (API and worker) with the official kfp.Client, as a user's script would.

Every call asserts on its result here; the last line printed is a JSON report for jest, which
checks what Python cannot see (the tasks' cache decisions, say).

Usage: python kfp_client_full_session.py API_URL TOKEN WORK_DIR
"""
import json
import os
import sys
import time
import warnings

import kfp
from kfp import compiler, dsl
from kfp.dsl import OutputPath
from kfp_server_api.exceptions import ApiException

warnings.filterwarnings('ignore')
url, token, work_dir = sys.argv[1], sys.argv[2], sys.argv[3]
report = {}


@dsl.container_component
def add(a: int, b: int, total: OutputPath(int)):
    return dsl.ContainerSpec(image='alpine', command=['sh', '-c', 'mkdir -p "$(dirname "$2")"; printf %s "$(( $0 + $1 ))" > "$2"'], args=[a, b, total])


@dsl.container_component
def nap(seconds: int):
    return dsl.ContainerSpec(image='alpine', command=['sh', '-c', 'sleep "$0"'], args=[seconds])


@dsl.pipeline(name='kfp-client-adder')
def adder(a: int = 1, b: int = 2):
    first = add(a=a, b=b)
    add(a=first.outputs['total'], b=b)


@dsl.pipeline(name='kfp-client-sleeper')
def sleeper(seconds: int = 60):
    nap(seconds=seconds)


def status_of(call):
    """The HTTP status an API call fails with (None when it succeeds)."""
    try:
        call()
    except ApiException as error:
        return error.status
    return None


def error_of(call):
    try:
        call()
    except ApiException as error:
        return {'status': error.status, 'message': json.loads(error.body)['error_message']}
    raise AssertionError('expected the call to fail')


def filter_json(*predicates):
    return json.dumps({'predicates': list(predicates)})


def task_states(run):
    """Container tasks' states by name (kfp's model keeps state and display name, not Sluice's cache field)."""
    details = run.run_details.task_details or []
    return sorted(t.state for t in details if t.display_name.startswith('add'))


def wait_until(what, predicate, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f'timed out waiting for {what}')


package = os.path.join(work_dir, 'adder.yaml')
compiler.Compiler().compile(adder, package)

# --- The client, with a Sluice token where KFP would take a bearer token.
client = kfp.Client(host=url, existing_token=token)
assert client.get_kfp_healthz().multi_user is False

# --- Experiments.
exp_a = client.create_experiment('kfp-exp-a', description='first')
assert exp_a.display_name == 'kfp-exp-a' and exp_a.description == 'first' and exp_a.storage_state == 'AVAILABLE'
# create_experiment looks the name up first (a display_name filter): a second call returns the first.
assert client.create_experiment('kfp-exp-a').experiment_id == exp_a.experiment_id
exp_b = client.create_experiment('kfp-exp-b')
exp_c = client.create_experiment('kfp-exp-c')
assert client.get_experiment(experiment_id=exp_b.experiment_id).display_name == 'kfp-exp-b'
assert client.get_experiment(experiment_name='kfp-exp-c').experiment_id == exp_c.experiment_id
assert status_of(lambda: client.get_experiment(experiment_id='no-such-experiment')) == 404
mine = filter_json({'key': 'display_name', 'operation': 'IS_SUBSTRING', 'string_value': 'kfp-exp-'})
first_page = client.list_experiments(page_size=2, sort_by='created_at desc', filter=mine)
assert first_page.total_size == 3, first_page.total_size
assert [e.display_name for e in first_page.experiments] == ['kfp-exp-c', 'kfp-exp-b']
assert first_page.next_page_token
second_page = client.list_experiments(page_size=2, sort_by='created_at desc', filter=mine, page_token=first_page.next_page_token)
assert [e.display_name for e in second_page.experiments] == ['kfp-exp-a'] and not second_page.next_page_token
by_name = client.list_experiments(sort_by='name', filter=filter_json(
    {'key': 'display_name', 'operation': 'IN', 'string_values': {'values': ['kfp-exp-b', 'Default']}}))
assert [e.display_name for e in by_name.experiments] == ['Default', 'kfp-exp-b']
report['experiments'] = {'listed': first_page.total_size}

# --- Pipelines and versions.
pipeline = client.upload_pipeline(package, pipeline_name='kfp-adder', description='adds')
assert pipeline.display_name == 'kfp-adder' and pipeline.description == 'adds'
assert client.get_pipeline(pipeline.pipeline_id).display_name == 'kfp-adder'
assert client.get_pipeline_id('kfp-adder') == pipeline.pipeline_id
assert client.get_pipeline_id('no-such-pipeline') is None
listed = client.list_pipelines(filter=filter_json({'key': 'display_name', 'operation': 'EQUALS', 'string_value': 'kfp-adder'}))
assert [p.pipeline_id for p in listed.pipelines] == [pipeline.pipeline_id]
v2 = client.upload_pipeline_version(package, pipeline_version_name='kfp-adder v2', pipeline_id=pipeline.pipeline_id, description='second')
assert v2.display_name == 'kfp-adder v2' and v2.pipeline_id == pipeline.pipeline_id
versions = client.list_pipeline_versions(pipeline.pipeline_id, sort_by='created_at desc', page_size=1)
assert versions.total_size == 2 and versions.next_page_token
assert versions.pipeline_versions[0].pipeline_version_id == v2.pipeline_version_id
older = client.list_pipeline_versions(pipeline.pipeline_id, sort_by='created_at desc', page_size=1, page_token=versions.next_page_token)
v1 = older.pipeline_versions[0]
assert v1.pipeline_version_id != v2.pipeline_version_id and not older.next_page_token
got = client.get_pipeline_version(pipeline.pipeline_id, v2.pipeline_version_id)
assert got.description == 'second' and got.pipeline_spec['pipelineInfo']['name'] == 'kfp-client-adder'
report['pipeline_id'] = pipeline.pipeline_id

# --- Runs: from a pipeline version, then from the package with caching on and off.
run1 = client.run_pipeline(experiment_id=exp_a.experiment_id, job_name='kfp-versioned', pipeline_id=pipeline.pipeline_id,
                           version_id=v2.pipeline_version_id, params={'a': 3, 'b': 4})
assert run1.pipeline_version_reference.pipeline_version_id == v2.pipeline_version_id
assert client.get_run(run1.run_id).display_name == 'kfp-versioned'
done1 = client.wait_for_run_completion(run1.run_id, timeout=120, sleep_duration=1)
assert done1.state == 'SUCCEEDED', done1.state
assert task_states(done1) == ['SUCCEEDED', 'SUCCEEDED'], task_states(done1)

cached = client.create_run_from_pipeline_package(package, arguments={'a': 3, 'b': 4}, run_name='kfp-cached',
                                                 experiment_name='kfp-exp-a', enable_caching=True)
done_cached = cached.wait_for_run_completion(timeout=120)
assert done_cached.state == 'SUCCEEDED' and done_cached.experiment_id == exp_a.experiment_id
# A cache hit reuses the outputs without running the step: KFP's API shows such a task as SKIPPED.
assert task_states(done_cached) == ['SKIPPED', 'SKIPPED'], task_states(done_cached)

uncached = client.create_run_from_pipeline_package(package, arguments={'a': 3, 'b': 4}, run_name='kfp-uncached',
                                                   experiment_name='kfp-exp-a', enable_caching=False)
done_uncached = client.wait_for_run_completion(uncached.run_id, timeout=120, sleep_duration=1)
assert task_states(done_uncached) == ['SUCCEEDED', 'SUCCEEDED'], task_states(done_uncached)
report['runs'] = {'versioned': run1.run_id, 'cached': cached.run_id, 'uncached': uncached.run_id}

# --- A run from a pipeline function, in an experiment of its own (created by name), terminated while it sleeps.
sleepy = client.create_run_from_pipeline_func(sleeper, arguments={'seconds': 300}, run_name='kfp-sleepy', experiment_name='kfp-exp-b')
wait_until('the nap to start', lambda: client.get_run(sleepy.run_id).state == 'RUNNING')
client.terminate_run(sleepy.run_id)
assert wait_until('CANCELED', lambda: client.get_run(sleepy.run_id).state == 'CANCELED')
report['runs']['sleepy'] = sleepy.run_id

# --- Listing runs: filters, sorts and pages, as kfp.Client sends them.
def names(**kwargs):
    return sorted(r.display_name for r in (client.list_runs(page_size=100, **kwargs).runs or []))

assert names(filter=filter_json({'key': 'display_name', 'operation': 'EQUALS', 'string_value': 'kfp-cached'})) == ['kfp-cached']
assert names(filter=filter_json({'key': 'name', 'operation': 'NOT_EQUALS', 'string_value': 'kfp-cached'})) == ['kfp-sleepy', 'kfp-uncached', 'kfp-versioned']
assert names(filter=filter_json({'key': 'display_name', 'operation': 'IS_SUBSTRING', 'string_value': 'cached'})) == ['kfp-cached', 'kfp-uncached']
assert names(filter=filter_json({'key': 'display_name', 'operation': 'IN', 'string_values': {'values': ['kfp-sleepy', 'kfp-versioned']}})) == ['kfp-sleepy', 'kfp-versioned']
# Times compare to the whole second, as KFP keeps them: runs created after the first run's second.
after_first = filter_json({'key': 'created_at', 'operation': 'GREATER_THAN', 'timestamp_value': done1.created_at.isoformat()})
assert names(filter=after_first) == ['kfp-cached', 'kfp-sleepy', 'kfp-uncached']
epoch = int(done1.created_at.timestamp())
assert names(filter=filter_json({'key': 'created_at', 'operation': 'LESS_THAN_EQUALS', 'long_value': str(epoch)})) == ['kfp-versioned']
assert names(experiment_id=exp_a.experiment_id, filter=filter_json({'key': 'state', 'operation': 'EQUALS', 'string_value': 'SUCCEEDED'})) == ['kfp-cached', 'kfp-uncached', 'kfp-versioned']
newest = client.list_runs(page_size=3, sort_by='created_at desc')
assert newest.total_size == 4 and newest.next_page_token
assert [r.display_name for r in newest.runs] == ['kfp-sleepy', 'kfp-uncached', 'kfp-cached']
rest = client.list_runs(page_size=3, sort_by='created_at desc', page_token=newest.next_page_token)
assert [r.display_name for r in rest.runs] == ['kfp-versioned'] and not rest.next_page_token
assert names(sort_by='display_name', filter=filter_json({'key': 'pipeline_version_id', 'operation': 'EQUALS', 'string_value': v2.pipeline_version_id})) == ['kfp-versioned']
bad_filter = error_of(lambda: client.list_runs(filter=filter_json({'key': 'created_at', 'operation': 'IS_SUBSTRING', 'string_value': '2026'})))
assert bad_filter['status'] == 400 and bad_filter['message'].startswith('filter.predicates.0.operation: operation IS_SUBSTRING is not supported on "created_at"'), bad_filter

# --- Archiving runs.
client.archive_run(run1.run_id)
assert client.get_run(run1.run_id).storage_state == 'ARCHIVED'
assert names(filter=filter_json({'key': 'storage_state', 'operation': 'EQUALS', 'string_value': 'ARCHIVED'})) == ['kfp-versioned']
client.unarchive_run(run1.run_id)
assert client.get_run(run1.run_id).storage_state == 'AVAILABLE'

# --- Archiving an experiment archives its runs and disables its recurring runs; no run may join it until it is unarchived.
nightly = client.create_recurring_run(experiment_id=exp_b.experiment_id, job_name='kfp-nightly', cron_expression='0 0 3 * * *',
                                      start_time='2030-01-01T00:00:00Z', pipeline_id=pipeline.pipeline_id,
                                      version_id=v2.pipeline_version_id, params={'a': 2, 'b': 2})
assert nightly.status == 'ENABLED'
client.archive_experiment(exp_b.experiment_id)
assert client.get_experiment(experiment_id=exp_b.experiment_id).storage_state == 'ARCHIVED'
assert client.get_run(sleepy.run_id).storage_state == 'ARCHIVED'
assert client.get_recurring_run(nightly.recurring_run_id).status == 'DISABLED'
report['archived_recurring_run'] = nightly.recurring_run_id
blocked = error_of(lambda: client.unarchive_run(sleepy.run_id))
assert blocked['status'] == 400 and 'unarchive the experiment first' in blocked['message'], blocked
refused = error_of(lambda: client.run_pipeline(experiment_id=exp_b.experiment_id, job_name='refused', pipeline_id=pipeline.pipeline_id,
                                               version_id=v2.pipeline_version_id, params={'a': 1, 'b': 1}))
assert refused['status'] == 400 and 'archived' in refused['message'], refused
client.unarchive_experiment(exp_b.experiment_id)
assert client.get_experiment(experiment_id=exp_b.experiment_id).storage_state == 'AVAILABLE'
# KFP leaves the runs archived and the recurring runs disabled: each is restored on its own.
assert client.get_run(sleepy.run_id).storage_state == 'ARCHIVED'
assert client.get_recurring_run(nightly.recurring_run_id).status == 'DISABLED'
client.unarchive_run(sleepy.run_id)
assert client.get_run(sleepy.run_id).storage_state == 'AVAILABLE'
client.delete_run(sleepy.run_id)
assert status_of(lambda: client.get_run(sleepy.run_id)) == 404
client.delete_experiment(exp_c.experiment_id)
assert status_of(lambda: client.get_experiment(experiment_id=exp_c.experiment_id)) == 404

# --- Recurring runs (test/api/recurring-runs.test.ts and kfp-client.test.ts cover triggers and schedules in depth).
recurring = client.create_recurring_run(experiment_id=exp_a.experiment_id, job_name='kfp-hourly', interval_second=3600,
                                        start_time='2030-01-01T00:00:00Z', pipeline_id=pipeline.pipeline_id,
                                        version_id=v1.pipeline_version_id, params={'a': 1, 'b': 1})
assert recurring.status == 'ENABLED' and recurring.trigger.periodic_schedule.interval_second == '3600'
listed_recurring = client.list_recurring_runs(experiment_id=exp_a.experiment_id)
assert [r.recurring_run_id for r in listed_recurring.recurring_runs] == [recurring.recurring_run_id]
client.disable_recurring_run(recurring.recurring_run_id)
assert client.get_recurring_run(recurring.recurring_run_id).status == 'DISABLED'
client.enable_recurring_run(recurring.recurring_run_id)
assert client.get_recurring_run(recurring.recurring_run_id).status == 'ENABLED'
client.delete_recurring_run(recurring.recurring_run_id)
assert status_of(lambda: client.get_recurring_run(recurring.recurring_run_id)) == 404

# --- Deleting versions and pipelines: a pipeline with versions is kept until they are gone, as in KFP.
client.delete_pipeline_version(pipeline.pipeline_id, v2.pipeline_version_id)
assert status_of(lambda: client.get_pipeline_version(pipeline.pipeline_id, v2.pipeline_version_id)) == 404
assert client.list_pipeline_versions(pipeline.pipeline_id).total_size == 1
assert status_of(lambda: client.delete_pipeline(pipeline.pipeline_id)) == 400
client.delete_pipeline_version(pipeline.pipeline_id, v1.pipeline_version_id)
client.delete_pipeline(pipeline.pipeline_id)
assert status_of(lambda: client.get_pipeline(pipeline.pipeline_id)) == 404
assert client.get_pipeline_id('kfp-adder') is None
# The runs keep their own copy of the spec.
assert client.get_run(run1.run_id).state == 'SUCCEEDED'

report['ok'] = True
print(json.dumps(report))
