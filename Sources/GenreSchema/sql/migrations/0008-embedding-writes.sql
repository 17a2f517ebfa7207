-- How many times each item's vector was written: once per distinct text (content hash), model and template
-- the item had while the daemon caught up. The daemon never writes the same content again (a batch whose
-- lease lapsed and was finished by two daemons stores once), so the fault suite can check the count
-- against the item's edits.
ALTER TABLE genre.item_embeddings ADD COLUMN writes integer NOT NULL DEFAULT 1;
COMMENT ON COLUMN genre.item_embeddings.writes IS
  'Times this item''s vector was written: 1 + the text, model or template changes embedded since. Identical content is never written twice.';
