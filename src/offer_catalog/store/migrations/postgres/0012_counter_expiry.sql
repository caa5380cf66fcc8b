-- Per-profile capping counters expire (docs/decisioning.md section 4, "Expiry and date changes"):
-- the instant (UTC text, fixed width: text order is time order) after which the counter counts 0 and
-- restarts from 0; NULL: never. Each counting decision renews it with the offer's end date.
ALTER TABLE counters ADD COLUMN expires_at TEXT COLLATE "C";
