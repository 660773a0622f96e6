"""Retry policies with backoff (modelled on KFP's pipeline_with_retry.py):

- flaky fails its first two launches and succeeds on the third, each launch appending its start
  time to <dir>/flaky-launches; set_retry(num_retries=3, backoff_duration='1s', backoff_factor=2)
  → SUCCEEDED after 3 launches, the gaps between launches at least 1 s and 2 s;
- always-fails exits 3 on every launch with num_retries=1 → FAILED after exactly 2 launches.
"""
from kfp import dsl

from _steps import fail, flaky_until

flaky = flaky_until('flaky', succeeds_on=3)
always_fails = fail('always-fails')


@dsl.pipeline(name='retry')
def retry(dir: str):
    flaky(dir=dir).set_retry(num_retries=3, backoff_duration='1s', backoff_factor=2.0, backoff_max_duration='10s')
    always_fails(dir=dir, value='x').set_retry(num_retries=1, backoff_duration='0s')


PIPELINE = retry
