"""`rq cron jobs/cron_config.py`: the daily jobs (cron strings are UTC)."""

from rq import cron

from jobs import attendance

# Every five minutes; each building's local call time is checked in its own
# timezone, so daylight-saving changes move nothing here.
cron.register(attendance.tick, queue_name="default", cron="*/5 * * * *")
