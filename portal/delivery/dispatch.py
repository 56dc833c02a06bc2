"""Waking the delivery workers once delivery rows exist.

`wake(message_id)` is called after the transaction that created a message's
delivery rows has committed. It only enqueues work: the rows are the record.
"""


def wake(message_id: int) -> None:
    """Tell the workers that `message_id` has deliveries waiting."""
    from portal.delivery import engine

    engine.enqueue_message(message_id)
