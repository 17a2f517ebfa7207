-- PLACEHOLDER, not a release: migration 0010 is being written on another branch (with 0012), and this branch
-- adds 0011. SQLCatalog refuses gaps in the migration numbers, so this no-op stands in for 0010 until the two
-- branches meet. When merging, keep the real 0010 and delete this file (two files numbered 0010 fail loudly).
SELECT 1;
