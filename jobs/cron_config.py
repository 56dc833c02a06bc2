"""`rq cron jobs/cron_config.py`: the daily jobs (cron strings are UTC)."""

from rq import cron

from jobs import attendance, delivery

# Every five minutes; each building's local call time is checked in its own
# timezone, so daylight-saving changes move nothing here.
cron.register(attendance.tick, queue_name="default", cron="*/5 * * * *")

# Every minute: take back leases of dead workers, settle stale unknown
# outcomes, wake messages whose deliveries are due (emergency queue, so it
# never waits behind a bulk send).
cron.register(delivery.sweep, queue_name="emergency", cron="* * * * *")
