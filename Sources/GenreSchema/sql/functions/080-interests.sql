-- Settings of the hybrid blend and of user interests (vectors from what users chose and wrote).

INSERT INTO genre.setting_definitions (key, value_type, default_value, min_value, max_value, allowed, requires, description) VALUES
  ('blend.weights', 'weights', '{"cooccurrence": 0.6, "content": 0.3, "popularity": 0.1}', 0, 100,
   '["cooccurrence", "content", "popularity"]', 'rebuild',
   'score = Σ weight · part, each part normalised to 0..1 for the user: co-occurrence (what people with the same items chose), content (language-model similarity to the user''s interests), popularity.'),
  ('interest.text_weight', 'number', '3', 0, 100, NULL, 'rebuild',
   'Weight of each search or comment text in a user''s interest vector, next to the event weights of the items they chose.'),
  ('interest.half_life_days', 'number', '90', 0.01, 36500, NULL, 'rebuild',
   'In a user''s interest vector, older items and texts count half for every this many days before the user''s newest event.'),
  ('recommend.reshow_after_days', 'number', '0', 0, 36500, NULL, 'rerank',
   'With recommend.exclude_seen, an item the user had may be recommended again this many days after their last event on it; 0 = never.'),
  ('recommend.category_boosts', 'weights', '{}', 0, 100, NULL, 'rerank',
   'Multiplies the score of items of a category, e.g. {"books": 1.5, "clearance": 0.5}; categories not listed keep 1.'),
  ('diversity.lambda', 'number', '0.9', 0, 1, NULL, 'rerank',
   'MMR re-ranking of the first 20 positions: λ · relevance − (1 − λ) · similarity (by text) to items already listed. 1 keeps pure relevance; lower spreads the list.')
ON CONFLICT (key) DO UPDATE SET
  value_type = EXCLUDED.value_type, default_value = EXCLUDED.default_value, min_value = EXCLUDED.min_value,
  max_value = EXCLUDED.max_value, allowed = EXCLUDED.allowed, requires = EXCLUDED.requires,
  description = EXCLUDED.description;

