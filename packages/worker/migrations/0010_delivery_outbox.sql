-- Deliveries get the outbox's guarantee too. A trigger's fan-out writes its delivery rows, then
-- enqueues them; should the enqueue fail or the consumer die in between, the rows were committed
-- with no message to post them. enqueued_at marks the ones the queue has: the fan-out sends only
-- rows without it (so a retried fan-out sends what the first one could not), and the sweep sends
-- those left over a minute.
ALTER TABLE deliveries ADD COLUMN enqueued_at INTEGER;
UPDATE deliveries SET enqueued_at = created_at;
CREATE INDEX deliveries_unsent ON deliveries(created_at) WHERE enqueued_at IS NULL;

-- Retention (retention.ts): triggers and deliveries older than TRIGGERS_RETENTION_DAYS go in
-- ranges of the triggers' primary key (their ids follow their times), deliveries first, found by
-- their UNIQUE (trigger_id, webhook_id) index; carts past any clock go by when they were updated.
CREATE INDEX carts_at ON carts(at);
