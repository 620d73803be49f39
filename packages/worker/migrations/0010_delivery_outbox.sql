-- Deliveries get the outbox's guarantee too. A trigger's fan-out writes its delivery rows, then
-- sends them to the queue; should the send fail or the consumer die in between, the rows were
-- committed with no message to post them. enqueued_at is when a row was last sent (set in the
-- fan-out's own insert: no write after the send). A retried fan-out sends again its rows never
-- attempted, and the sweep those never attempted an hour after they were last sent.
ALTER TABLE deliveries ADD COLUMN enqueued_at INTEGER;
UPDATE deliveries SET enqueued_at = created_at;
CREATE INDEX deliveries_unattempted ON deliveries(enqueued_at) WHERE attempts = 0 AND status = 'pending';

-- Retention (retention.ts): triggers and deliveries older than TRIGGERS_RETENTION_DAYS go in
-- ranges of the triggers' primary key (their ids follow their times), deliveries first, found by
-- their UNIQUE (trigger_id, webhook_id) index; carts past any clock go by when they were updated.
CREATE INDEX carts_at ON carts(at);
